// useEmulator (test/support/emulator.ts) fails a suite whose requests carried a parameter the API model
// does not know, naming the action and the parameter — unless the suite allows it by name. Shown by
// running a small suite (test/support/fixtures/misspelling.suite.ts) in a child vitest, both ways.
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

function runFixture(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/support/fixtures/vitest.config.ts"],
      { cwd: root, env: { ...process.env, ...env, NO_COLOR: "1", FORCE_COLOR: "0" }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
    );
  });
}

describe("the emulator fixture's unknown-parameter check", () => {
  it("fails the test that sent one, naming the action and the parameter; passes once the suite allows it", async () => {
    const failing = await runFixture({ MISSPELLING_ALLOWED: "0" });
    expect(failing.code).not.toBe(0);
    expect(failing.out).toContain("requests sent parameters the API models do not know");
    expect(failing.out).toContain("volcengine ecs DescribeInstances: MaxResult");
    const allowed = await runFixture({ MISSPELLING_ALLOWED: "1" });
    expect(allowed.out).toMatch(/1 passed/);
    expect(allowed.code).toBe(0);
  });
});
