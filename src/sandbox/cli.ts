// `npm run sandbox`: the sandbox on a terminal (or piped stdin: commands are echoed so a transcript reads well).
import { createInterface } from "node:readline";
import { createSandbox, SANDBOX_PROVIDERS, type SandboxProvider } from "./sandbox.js";

const interactive = Boolean(process.stdin.isTTY);
const print = (lines: string[]) => {
  if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
};

// `npm run sandbox -- --provider vercel`: deploys go to a local fake of that platform's API.
const at = process.argv.indexOf("--provider");
const provider = at >= 0 ? process.argv[at + 1] : undefined;
if (provider !== undefined && !(SANDBOX_PROVIDERS as readonly string[]).includes(provider)) {
  process.stderr.write(`--provider：可用 ${SANDBOX_PROVIDERS.join("、")}\n`);
  process.exit(2);
}
print([`Nightshift sandbox 啟動中…${provider ? `（部署到模擬的 ${provider}）` : ""}`]);
const sandbox = await createSandbox(provider ? { provider: provider as SandboxProvider } : {});
print(["就緒。輸入 help 看指令，demo 自動播放完整流程。"]);
const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
rl.setPrompt("> ");
if (interactive) rl.prompt();
for await (const line of rl) {
  if (!interactive && line.trim()) print([`> ${line}`]);
  print(await sandbox.exec(line));
  if (sandbox.finished) break;
  if (interactive) rl.prompt();
}
rl.close();
await sandbox.close();
process.exit(0);
