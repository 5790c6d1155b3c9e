// Node versions: ours must be ones the @pulumi/pulumi we develop against accepts (newer releases of it
// require newer Node, which is why package.json pins 3.248.0, the last that supports Node 20), and the
// Node running the tests must be one of them.
import { describe, expect, it } from "vitest";
import semver from "semver";

const ours = require("../../package.json");
const pulumiPkg = require("@pulumi/pulumi/package.json");

describe("engines", () => {
  it("our Node range is within the installed @pulumi/pulumi's", () => {
    expect(semver.subset(ours.engines.node, pulumiPkg.engines.node)).toBe(true);
  });

  it("the running Node satisfies both", () => {
    expect(semver.satisfies(process.version, ours.engines.node)).toBe(true);
    expect(semver.satisfies(process.version, pulumiPkg.engines.node)).toBe(true);
  });

  it("the installed @pulumi/pulumi is within our peer range", () => {
    expect(semver.satisfies(pulumiPkg.version, ours.peerDependencies["@pulumi/pulumi"])).toBe(true);
  });
});
