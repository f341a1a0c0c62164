// PIPELINE_CONFIG's cross references, checked on the raw JSON so they are reported alongside any shape
// problems: unique system ids and group chats, unique service names, dependsOn naming a known service,
// and no dependency cycle.
import { bi, formatPath, type Path } from "./messages.js";

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const records = (v: unknown): [Record<string, unknown>, number][] =>
  Array.isArray(v) ? v.flatMap((x, i) => (isRecord(x) ? [[x, i] as [Record<string, unknown>, number]] : [])) : [];

type Report = (path: Path, message: string) => void;

/** Cross references, run on the raw JSON so they are reported alongside any shape problems. */
export function crossCheck(json: unknown, report: Report): void {
  const ids = new Map<unknown, number>();
  const chats = new Map<unknown, number>();
  for (const [s, i] of records(isRecord(json) ? json.systems : undefined)) {
    const dup = (seen: Map<unknown, number>, key: "id" | "groupChatId", why: [string, string]) => {
      const value = s[key];
      if (typeof value !== (key === "id" ? "string" : "number")) return;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      else
        report(
          ["systems", i, key],
          bi(
            `${JSON.stringify(value)} 已被 systems[${first}] 使用 — ${why[0]}`,
            `${JSON.stringify(value)} is already used by systems[${first}] — ${why[1]}`,
          ),
        );
    };
    dup(ids, "id", ["系統 id 不可重複", "system ids must be unique"]);
    dup(chats, "groupChatId", ["每個系統需要自己的群組", "each system needs its own group chat"]);
    checkServices(records(s.services), ["systems", i, "services"], report);
  }
}

function checkServices(services: [Record<string, unknown>, number][], path: Path, report: Report): void {
  const index = new Map<string, number>();
  for (const [s, j] of services) {
    if (typeof s.name !== "string") continue;
    const first = index.get(s.name);
    if (first === undefined) index.set(s.name, j);
    else
      report(
        [...path, j, "name"],
        bi(
          `"${s.name}" 已被 ${formatPath([...path, first])} 使用 — 服務名稱不可重複`,
          `"${s.name}" is already used by ${formatPath([...path, first])}`,
        ),
      );
  }
  const deps = new Map<string, string[]>();
  for (const [s, j] of services) {
    if (typeof s.name !== "string" || !Array.isArray(s.dependsOn)) continue;
    const known: string[] = [];
    s.dependsOn.forEach((dep, k) => {
      if (typeof dep !== "string") return;
      if (index.has(dep)) known.push(dep);
      else
        report(
          [...path, j, "dependsOn", k],
          bi(
            `沒有名為 "${dep}" 的服務 — 已宣告的服務：${[...index.keys()].join("、") || "（無）"}`,
            `unknown service "${dep}" — known services: ${[...index.keys()].join(", ") || "(none)"}`,
          ),
        );
    });
    deps.set(s.name, [...(deps.get(s.name) ?? []), ...known]);
  }
  // Depth-first search; a node met again while still on the stack closes a cycle.
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (done.has(node)) return null;
    const from = stack.indexOf(node);
    if (from >= 0) return [...stack.slice(from), node];
    stack.push(node);
    for (const next of deps.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(node);
    return null;
  };
  for (const node of deps.keys()) {
    const cycle = visit(node);
    if (cycle) {
      report(
        path,
        bi(
          `相依關係形成循環 ${cycle.join(" → ")} — 請移除其中一個 dependsOn`,
          `dependency cycle ${cycle.join(" → ")} — remove one of these dependsOn entries`,
        ),
      );
      return;
    }
  }
}
