// The committed specs are what `npm run specgen` makes from the installed SDKs: regenerated into a
// temporary directory and compared byte for byte (a hand edit, or an SDK upgrade without a regeneration,
// fails here).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PYTHON } from "./python";

const root = path.resolve(__dirname, "../..");
const run = promisify(execFile);

describe("npm run specgen", () => {
  it("regenerates both committed spec files exactly", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "specgen-"));
    await run(PYTHON, [path.join(root, "tools/specgen/volcengine.py"), "--out", path.join(dir, "volcengine.json")], { cwd: root });
    await run(process.execPath, [path.join(root, "node_modules/ts-node/dist/bin.js"), "--transpile-only", path.join(root, "tools/specgen/alicloud.ts"), "--out", path.join(dir, "alicloud.json")], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    for (const cloud of ["volcengine", "alicloud"]) {
      const fresh = readFileSync(path.join(dir, `${cloud}.json`), "utf8");
      const committed = readFileSync(path.join(root, "emulator", cloud, "spec.json"), "utf8");
      expect(fresh === committed, `emulator/${cloud}/spec.json is not what npm run specgen writes`).toBe(true);
    }
  });
});
