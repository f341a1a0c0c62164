// The `demo` script: sandbox commands run in order on a fresh sandbox; lines starting with # are
// narration. Button numbers refer to the latest message with buttons (see `press`).
export const DEMO_SCRIPT: readonly string[] = [
  "# 2026-11-23（一）19:50。alice、bob 是管理員，carol 是成員;今晚值班 Alice。先看系統狀態。",
  "as alice /status",

  "# Flow 1 — carol 在群組回報 bug，用按鈕回答問題",
  "as carol /report",
  "as carol 登入按鈕沒反應",
  "as carol 在 iPhone Safari 點「登入」沒有任何反應",
  "press 1", // 發現環境:UAT
  "press 2", // 嚴重度:medium
  "press 2", // 服務:backend
  "press 4", // 完成
  "as carol -", // 模組:略過
  "press 1", // 📨 送出
  "# alice 在群組的 bug 卡片上確認：medium、Flow 1（先 UAT）",
  "press 1 as alice", // ✅ 確認
  "press 2", // 🟡 medium
  "press 3", // ✔️ 確認分類(建議的 Flow 1)
  "# 20:00 T1：部署 UAT（db-migration → backend → frontend 中受影響的服務），部署後監控 10 分鐘",
  "clock 20:00",
  "# alice 驗收 UAT 後按「批准推 PROD」",
  "press 1",
  "# 22:00 T2：部署 PROD，監控 30 分鐘",
  "clock 22:00",
  "bugs",

  "# Flow 2 — PROD 才有的問題：alice 把流程切到 Flow 2（先修 PROD，之後再 Merge 回 UAT）",
  "as carol /report",
  "as carol 月報表金額加總錯誤",
  "as carol PROD 的 11 月營收報表少算了退款",
  "press 2", // 發現環境:PROD
  "press 1", // 嚴重度:low
  "press 4", // 服務:不選 = 全部
  "as carol report",
  "press 1", // ➕ 新增模組「report」(新模組要明確新增)
  "press 1", // 📨 送出
  "press 1 as alice", // ✅ 確認
  "press 1", // 🟢 low
  "press 2", // Flow 2(先 PROD)
  "press 3", // ✔️ 確認分類
  "# UAT 與 PROD 同版本，系統建議 Flow 1;改走 Flow 2 要寫原因",
  "as alice 只有 PROD 的退款資料能重現",
  "# 隔天 T1 把 Flow 2 排進 PROD 佇列，T2 部署 PROD",
  "clock 2026-11-24 20:00",
  "clock 22:00",
  "# alice 在 PROD 驗收後按「批准 Merge UAT」：已過今晚 T2，所以排在明晚 T2",
  "press 1",
  "clock 2026-11-25 22:00",
  "bugs",

  "# 自動回滾 — 一個 Flow 2 修正上了 PROD，但部署後 smoke 失敗",
  "as carol /report",
  "as carol 結帳頁運費少算",
  "as carol 離島地址的運費被算成本島價格",
  "press 2", // PROD
  "press 2", // medium
  "press 2", // backend
  "press 4", // 完成
  "as carol checkout",
  "press 1", // ➕ 新增模組「checkout」
  "press 1", // 📨 送出
  "press 1 as alice", // ✅ 確認
  "press 2", // 🟡 medium
  "# UAT 已領先 PROD（剛 Merge 了 #2），系統自動建議 Flow 2;alice 直接確認",
  "press 3", // ✔️ 確認分類
  "clock 2026-11-26 20:00",
  "# 模擬事故：讓下一次 PROD 部署後的 smoke 失敗",
  "fail smoke",
  "# 22:00 T2 部署 PROD;監控第一輪 smoke 失敗 → 自動回滾到上一版，#3 退回並暫停",
  "clock 22:00",
  "bugs",
  "as alice /history prod",
  "# demo 結束。繼續試：as bob /bugs、as alice /rollback uat、as alice /freeze、press 1（重新排入 #3）…輸入 help 看所有指令。",
];
