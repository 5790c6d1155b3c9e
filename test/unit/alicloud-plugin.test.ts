import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goFlagParse, parseManagerArgs, pluginArgv, shlexSplit } from "../../emulator/alicloud/agent";
import { cmdWords, goWindowsArgv, shellWords } from "../../emulator/alicloud/commandLine";
import { pluginInvocation } from "../../emulator/alicloud/plugin";
import { carryProblem, EXIT_CODES, explainExitCode, MANAGER_EXIT_CODES, parsePluginOutput, pluginCommand, type PluginOptions } from "../../provider/alicloud/appSnapshotPlugin";
import { consistentSnapshotGroupSchema } from "../../provider/alicloud/consistentSnapshotGroup/schema";
import { checkInputs } from "../../provider/core/check";

// The emulator's agent (acs-plugin-manager's flag parser, SplitArgs, google/shlex, sh / cmd.exe + Go's
// Windows splitting) is written apart from the provider's builder: together they pin the encoding.
const received = (o: PluginOptions) => {
  const cmd = pluginCommand(o);
  const call = pluginInvocation(cmd.content, cmd.type);
  return { cmd, argv: call?.argv, plugin: call?.plugin };
};

describe("the agent's splitting, as its source has it", () => {
  it("google/shlex: quotes group, backslashes escape, a leading # comments, errors keep what was split", () => {
    expect(shlexSplit(`a "b c" 'd e' f\\ g "h\\"i" #comment`).words).toEqual(["a", "b c", "d e", "f g", 'h"i']);
    expect(shlexSplit(`x#y ''`).words).toEqual(["x#y", ""]);
    expect(shlexSplit(`ok "open`)).toEqual({ words: ["ok"], error: "EOF found when expecting closing quote" });
  });

  it("SplitArgs: every separator becomes a space, quotes or not; --paramsV2 is split as it is", () => {
    // The failure the issue reports: a quoted list loses its comma, an unquoted one makes a stray word.
    expect(pluginArgv({ params: `-ExcludeDiskId="d-1,d-2",-Name=x` })).toEqual(["-ExcludeDiskId=d-1 d-2", "-Name=x"]);
    expect(pluginArgv({ params: `-ExcludeDiskId=d-1,d-2` })).toEqual(["-ExcludeDiskId=d-1", "d-2"]);
    expect(pluginArgv({ params: `"-A=x,y"`, separator: ";" })).toEqual(["-A=x,y"]);
    expect(pluginArgv({ params: "-A=1", paramsV2: `"-A=x,y" -B` })).toEqual(["-A=x,y", "-B"]);
  });

  it("the aliyun-cli parser: a value flag takes the next word verbatim; unknown flags are ignored", () => {
    expect(parseManagerArgs(["--exec", "--plugin", "p", "--params", "-x", "--bogus=1"]).flags).toEqual({ exec: true, plugin: "p", params: "-x", bogus: "1" });
    expect(parseManagerArgs(["-e", "-P:p", "--params=-A=1"]).flags).toEqual({ exec: true, plugin: "p", params: "-A=1" });
    expect(parseManagerArgs(["--plugin", "a", "--plugin", "b"]).error).toMatch(/duplicated/);
  });

  it("Go's Windows argv rules (os/exec_windows.go), after cmd.exe's own processing", () => {
    // `""` inside quotes is a quote and ends the quoting ("prior to 2008"), so the last `"` opens a new one.
    expect(goWindowsArgv(`p "a b" c\\\\"d e" \\"x "q""r" s\\`)).toEqual(["p", "a b", 'c\\d e', '"x', 'q"r s\\']);
    expect(goWindowsArgv(`x\\\\ y`)).toEqual(["x\\\\", "y"]);
    expect(cmdWords(`p ^& "a & b" 100%% x & del *`)).toEqual(["p", "&", "a & b", "100%", "x"]);
  });

  it("the plugin's flags follow Go's flag package: a word that is not a flag stops them", () => {
    const kinds = { A: "string", B: "bool", N: "int" } as const;
    expect(goFlagParse(["-A=x y", "--B", "-N", "3"], kinds)).toEqual({ values: { A: "x y", B: "true", N: "3" }, rest: [] });
    expect(goFlagParse(["-A=x", "d-2", "-B"], kinds).rest).toEqual(["d-2", "-B"]);
    expect(goFlagParse(["-C=1"], kinds).error).toMatch(/not defined: -C/);
    expect(goFlagParse(["-B=maybe"], kinds).error).toMatch(/invalid boolean/);
  });
});

describe("app-snapshot plugin command", () => {
  it("builds the Linux command with the plugin's own parameter names, and no --separator without a comma", () => {
    const { cmd, argv, plugin } = received({ osType: "linux", ramRoleName: "snap", name: "db", instantAccess: true, instantAccessRetentionDays: 2, preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh", freezeTimeoutSeconds: 30 });
    expect(cmd.type).toBe("RunShellScript");
    expect(cmd.content).not.toContain("--separator");
    expect(shellWords(cmd.content).slice(0, 4)).toEqual(["acs-plugin-manager", "--exec", "--plugin", "app-snapshot-plugin"]);
    expect(plugin).toBe("app-snapshot-plugin");
    expect(argv).toEqual(["-RamRoleName=snap", "-Name=db", "-InstantAccess=true", "-InstantAccessRentationDays=2", "-EnableFsFreeze=true", "-TimeoutInSeconds=30", "-PreScriptPath=/root/pre.sh", "-PostScriptPath=/root/post.sh"]);
    expect(argv).toEqual(cmd.args);
  });

  it("carries a comma in a description and two excluded disks with --separator, on both OSes", () => {
    for (const osType of ["linux", "windows"] as const) {
      const { cmd, argv } = received({ osType, ramRoleName: "r", description: "nightly, before the batch", excludeDiskIds: ["d-1", "d-2"] });
      expect(cmd.content).toContain("--separator");
      expect(argv).toContain("-Description=nightly, before the batch");
      expect(argv).toContain("-ExcludeDiskId=d-1,d-2");
    }
  });

  it("builds the Windows command with VSS writers and RunBatScript", () => {
    const { cmd, argv, plugin } = received({ osType: "windows", ramRoleName: "r", name: "app-server", description: `50% of "C:\\data\\" & more`, enableWriters: false });
    expect(cmd.type).toBe("RunBatScript");
    expect(plugin).toBe("app-snapshot-plugin-win");
    expect(argv).toEqual(["-RamRoleName=r", "-Name=app-server", `-Description=50% of "C:\\data\\" & more`, "-EnableWriters=false"]);
  });

  // Every value the schema accepts, on each OS, reaches the plugin as one intact argument.
  const linuxText = fc.string({ unit: "binary", maxLength: 60 }).filter((s) => carryProblem(s, "linux") === undefined);
  const windowsText = fc.string({ unit: fc.constantFrom(..." !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), maxLength: 60 });
  const options = (osType: "linux" | "windows", text: fc.Arbitrary<string>) =>
    fc.record({
      name: fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z0-9._:-]{1,20}$/), { nil: undefined }),
      description: fc.option(text, { nil: undefined }),
      excludeDiskIds: fc.option(fc.array(fc.stringMatching(/^d-[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }), { nil: undefined }),
      preScriptPath: fc.option(text.map((t) => `/${t}`), { nil: undefined }),
      instantAccess: fc.option(fc.boolean(), { nil: undefined }),
    }).map((o) => ({ ...o, osType, ramRoleName: "snap", ...(osType === "windows" ? { preScriptPath: undefined } : {}) }) as PluginOptions);

  it.each([
    ["linux", linuxText],
    ["windows", windowsText],
  ] as const)("round-trips any accepted value through the shell and the agent (%s)", (osType, text) => {
    fc.assert(
      fc.property(options(osType, text), (o) => {
        const { cmd, argv } = received(o);
        expect(argv).toEqual(cmd.args);
        expect(goFlagParse(argv!, { RamRoleName: "string", Name: "string", Description: "string", ExcludeDiskId: "string", PreScriptPath: "string", InstantAccess: "bool", EnableFsFreeze: "bool", EnableWriters: "bool" })).toMatchObject({ rest: [] });
      }),
      { numRuns: 300 },
    );
  });
});

describe("exit codes and output", () => {
  it("explains every documented exit code with what to do", () => {
    for (const code of [...Array.from({ length: 16 }, (_, i) => i + 1), 255]) {
      expect(EXIT_CODES[code], String(code)).toBeDefined();
      expect(explainExitCode(code)).toMatch(new RegExp(`exited with ${code}: .+ What to do: .+`));
    }
    expect(explainExitCode(9)).toMatch(/pre-script.*root.*700/);
    expect(explainExitCode(77)).toMatch(/unknown error/);
  });

  it("says acs-plugin-manager's own codes 232-247 mean the plugin never ran", () => {
    for (let code = 232; code <= 247; code++) {
      expect(MANAGER_EXIT_CODES[code], String(code)).toBeDefined();
      expect(explainExitCode(code)).toMatch(new RegExp(`acs-plugin-manager exited with ${code} \\(\\w+\\): .+the app-snapshot plugin never ran\\. What to do: .+`));
    }
    expect(explainExitCode(240)).toMatch(/DOWNLOAD_FAIL.*downloaded on first use/);
  });

  it("parses the plugin's log lines, its error message, and the success line", () => {
    const raw = [
      `[level="info"][time="2026-11-24T23:08:40Z"][message="app-snapshot-plugin: instance i-1"]`,
      `[level="warning"][time="2026-11-24T23:08:40Z"][message="/root/pre.sh is owned by app with mode 755, not root 700: falling back"]`,
      `[level="error"][time=2026-11-24T23:08:41Z][message="the post-script \\"/root/post.sh\\" exited 2"]`,
      `[snapshotgroup="ssg-abc123"][message="Finish whole Processes of Snapshot successfully"]`,
      "",
    ].join("\n");
    expect(parsePluginOutput(Buffer.from(raw).toString("base64"))).toEqual({
      snapshotGroupId: "ssg-abc123",
      message: "Finish whole Processes of Snapshot successfully",
      errors: ['the post-script "/root/post.sh" exited 2'],
      warnings: ["/root/pre.sh is owned by app with mode 755, not root 700: falling back"],
    });
    expect(parsePluginOutput("ExecutePlugin DOWNLOAD_FAIL: Downloading package failed, err is [timeout]\n", "PlainText")).toMatchObject({ errors: ["DOWNLOAD_FAIL: Downloading package failed, err is [timeout]"] });
    expect(parsePluginOutput("[level=\"info\"][message=\"snapshot group ssg-x1 created\"]", "PlainText").snapshotGroupId).toBe("ssg-x1");
    expect(parsePluginOutput("", "PlainText")).toEqual({ snapshotGroupId: undefined, errors: [], warnings: [] });
  });
});

describe("ConsistentSnapshotGroup check", () => {
  const ok = { instanceId: "i-1", ramRoleName: "snap" };
  it.each([
    [{ ...ok, preScriptPath: "/root/pre.sh" }, "postScriptPath", /both or neither/],
    [{ ...ok, preScriptPath: "pre.sh", postScriptPath: "/p" }, "preScriptPath", /absolute path/],
    [{ ...ok, instantAccess: true, instantAccessRetentionDays: 65536 }, "instantAccessRetentionDays", /at most 65535/],
    [{ ...ok, osType: "windows", enableFsFreeze: true }, "enableFsFreeze", /Linux only/],
    [{ ...ok, osType: "windows", description: "café" }, "description", /printable ASCII/],
    [{ ...ok, enableWriters: true }, "enableWriters", /Windows only/],
    [{ ...ok, name: "line\nbreak" }, "name", /starts with a letter/],
    [{ ...ok, description: "line\nbreak" }, "description", /control characters/],
    [{ ...ok, description: "x" }, "description", /2-256 characters/],
    [{ ...ok, description: "https://example.com" }, "description", /http/],
    [{ ...ok, name: "my db" }, "name", /only letters, digits/],
    [{ ...ok, name: "x" }, "name", /2-128 characters/],
    [{ ...ok, consistency: "application" }, "consistency", /not a known input/],
    [{ instanceId: "i-1" }, "ramRoleName", /ramRoleName is required/],
  ])("rejects %# naming the field", (news, property, reason) => {
    const { failures } = checkInputs(consistentSnapshotGroupSchema, news as any);
    const f = failures.find((x) => x.property === property);
    expect(f, JSON.stringify(failures)).toBeDefined();
    expect(f!.reason).toMatch(reason);
  });

  it("accepts what any shell would interpret, and the deprecated instant-access inputs without a precondition", () => {
    for (const osType of ["linux", "windows"]) {
      const { failures } = checkInputs(consistentSnapshotGroupSchema, { ...ok, osType, description: `a, "b" & c; $d %e% ^f !g`, instantAccessRetentionDays: 3 });
      expect(failures).toEqual([]);
    }
  });
});
