// `npm run sandbox`: the sandbox on a terminal (or piped stdin: commands are echoed so a transcript reads well).
import { createInterface } from "node:readline";
import { createSandbox } from "./sandbox.js";

const interactive = Boolean(process.stdin.isTTY);
const print = (lines: string[]) => {
  if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
};

print(["Nightshift sandbox 啟動中…"]);
const sandbox = await createSandbox();
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
