// The README's reference tables are generated from the TSDoc in provider/ (tools/docs/reference.ts):
// they must match the code, and every public input and output must say what it is.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderReference, withReference } from "../../tools/docs/reference";

const README = path.resolve(__dirname, "../../README.md");

describe("README reference", () => {
  const reference = renderReference();

  it("is what `npm run docs` generates from the code", () => {
    const readme = fs.readFileSync(README, "utf8");
    // On failure: run `npm run docs` and commit README.md.
    expect(withReference(readme, reference)).toBe(readme);
  });

  it("documents every public input and output", () => {
    const undocumented = reference.split("\n").filter((l) => l.startsWith("| `") && l.endsWith("| — |"));
    expect(undocumented).toEqual([]);
  });

  it("unwraps pulumi.Input so the reader sees the value's type", () => {
    expect(reference).not.toMatch(/`[^`]*\bIn</);
    expect(reference).toContain("| `securityGroupIds` | `string[]` | yes |");
  });
});
