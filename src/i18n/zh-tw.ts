// Every chat string the bot says, in one place (a second locale would be another file of this shape).
export const zhTW = {
  errors: {
    generic: "⚠️ 發生錯誤,請稍後再試。",
    unavailable: "⚠️ 系統暫時無法使用,請稍後再試。",
    adminOnly: "只有管理員可以操作",
    outdated: "此按鈕已過期",
    unknownButton: "無法辨識的按鈕",
  },
} as const;

export type Strings = typeof zhTW;
export const t: Strings = zhTW;
