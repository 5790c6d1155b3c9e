// The spot-recovery-policy example declares its instance with the real @pulumi/alicloud types: the program
// must type-check against them (a misspelled input of alicloud.ecs.Instance is an error here, not at `up`
// in a user's account). The e2e test cannot reach that part at run time (no alicloud plugin there).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

function diagnostics(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("examples/spot-recovery-policy", () => {
  it("type-checks against @pulumi/alicloud and pulumi-recovery", () => {
    const file = path.join(root, "examples/spot-recovery-policy/index.ts");
    expect(diagnostics(file)).toEqual([]);
    // The types are real, not `any`: a misspelled alicloud.ecs.Instance input is an error.
    const probe = path.join(root, "examples/spot-recovery-policy/.probe.ts");
    writeFileSync(probe, readFileSync(file, "utf8").replace("spotPriceLimit:", "spotPriceLimitt:"));
    try {
      expect(diagnostics(probe)).toEqual([expect.stringMatching(/'spotPriceLimitt' does not exist in type 'InstanceArgs'/)]);
    } finally {
      rmSync(probe, { force: true });
    }
    const pkg = require(path.join(root, "node_modules/@pulumi/alicloud/package.json"));
    expect(pkg.scripts?.install).toBeUndefined(); // npm ci needs no plugin download (no install script to approve)
  }, 60_000);
});
