// issue 11 — platform targets (Vercel, Cloudflare Workers, Northflank, VPS over SSH, Docker Compose):
// the one line a failed platform step adds to the deployment's output, shown at the end of the
// 「部署失敗」 message. Plain text (the template escapes the output); names the platform and the cause.
export type PlatformName = "vercel" | "wrangler" | "northflank" | "ssh" | "compose";

export const PLATFORM_LABEL: Record<PlatformName, string> = {
  vercel: "Vercel",
  wrangler: "Cloudflare Workers",
  northflank: "Northflank",
  ssh: "VPS（SSH）",
  compose: "Docker Compose",
};

/** What a 404 is about: a project (or one of its deployments), a project's service, a project's deployments. */
export type NotFound =
  | { thing: "project_or_deployment"; project: string }
  | { thing: "project_or_service"; project: string; service: string }
  | { thing: "deployments"; project: string };

const notFound = (w: NotFound): string =>
  w.thing === "project_or_deployment"
    ? `專案 ${w.project} 或其部署`
    : w.thing === "project_or_service"
      ? `專案 ${w.project} 或服務 ${w.service}`
      : `專案 ${w.project} 的部署`;

export type PlatformCause =
  | { kind: "unauthorized"; status: number; tokenEnv: string }
  | { kind: "not_found"; what: NotFound }
  | { kind: "rate_limited"; retryAfter: string | null }
  | { kind: "server_error"; status: number }
  | { kind: "http_error"; status: number; detail: string }
  | { kind: "unreachable"; detail: string }
  | { kind: "bad_answer"; detail: string }
  | { kind: "build_failed"; detail: string }
  | { kind: "build_canceled" }
  | { kind: "timed_out"; minutes: number }
  | { kind: "no_previous"; version: string }
  | { kind: "command_failed"; code: string }
  | { kind: "not_started"; detail: string };

const minutes = (m: number) => (m >= 1 ? `${Math.round(m)} 分鐘` : `${Math.round(m * 60)} 秒`);

/** 「Vercel 部署失敗：權杖無效或權限不足（401），請檢查 VERCEL_TOKEN。」 */
export function platformFailure(platform: PlatformName, cause: PlatformCause): string {
  const who = PLATFORM_LABEL[platform];
  const why = ((): string => {
    switch (cause.kind) {
      case "unauthorized":
        return `權杖無效或權限不足（HTTP ${cause.status}），請檢查環境變數 ${cause.tokenEnv}`;
      case "not_found":
        return `找不到${notFound(cause.what)}（HTTP 404），請檢查設定中的名稱或 ID`;
      case "rate_limited":
        return `請求過於頻繁，被平台限流（HTTP 429${cause.retryAfter ? `，建議 ${cause.retryAfter} 秒後再試` : ""}）`;
      case "server_error":
        return `平台服務異常（HTTP ${cause.status}），請稍後再試`;
      case "http_error":
        return `平台拒絕請求（HTTP ${cause.status}）：${cause.detail}`;
      case "unreachable":
        return `無法連線到平台 API（${cause.detail}）`;
      case "bad_answer":
        return `平台回應格式不符預期（${cause.detail}）`;
      case "build_failed":
        return `建置失敗：${cause.detail}`;
      case "build_canceled":
        return "建置已被取消";
      case "timed_out":
        return `等待 ${minutes(cause.minutes)}仍未完成，已逾時`;
      case "no_previous":
        return `找不到版本 ${cause.version} 在此平台上的紀錄，無法回滾到它`;
      case "command_failed":
        return `指令結束代碼 ${cause.code}`;
      case "not_started":
        return `無法執行指令（${cause.detail}）`;
    }
  })();
  return `${who} 部署失敗：${why}。`;
}
