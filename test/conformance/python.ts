// Runs one of the official-Python-SDK conformance drivers (tools/python/conformance/*.py) against a
// running emulator, with the environment envFor(emu) gives the SDKs, and parses its one JSON document.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { envFor, type RunningEmulator } from "../../emulator";

const root = path.resolve(__dirname, "../..");
export const PYTHON = path.join(root, "tools/python/.venv/bin/python");

export function runPythonDriver(script: string, emu: RunningEmulator, args: string[] = []): Promise<{ code: number; result: any; stderr: string }> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run npm run setup:python`);
  return new Promise((resolve) => {
    execFile(PYTHON, [path.join(root, "tools/python/conformance", script), ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...envFor(emu) }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      let result: any;
      try {
        result = JSON.parse(stdout.trim().split("\n").pop() ?? "");
      } catch {
        result = { unparsed: stdout };
      }
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, result, stderr });
    });
  });
}
