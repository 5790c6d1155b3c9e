import { describe, expect, it } from "vitest";
import { parsePluginParams, shellWords } from "../../emulator/alicloud/plugin";
import { EXIT_CODES, explainExitCode, parsePluginOutput, pluginCommand } from "../../provider/alicloud/appSnapshotPlugin";
import { consistentSnapshotGroupSchema } from "../../provider/alicloud/consistentSnapshotGroup";
import { checkInputs } from "../../provider/core/check";

// The emulator's parser is written apart from the builder: together they pin the quoting contract.
const parse = (content: string) => {
  const words = shellWords(content);
  const p = words.find((w) => w.startsWith("--params="))!;
  return { words, params: parsePluginParams(p.slice("--params=".length)) };
};

describe("app-snapshot plugin command", () => {
  it("builds the Linux command with the plugin's own parameter names", () => {
    const cmd = pluginCommand({ osType: "linux", ramRoleName: "snap", name: "db", instantAccess: true, instantAccessRetentionDays: 2, preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh", freezeTimeoutSeconds: 30 });
    expect(cmd.type).toBe("RunShellScript");
    const { words, params } = parse(cmd.content);
    expect(words.slice(0, 4)).toEqual(["acs-plugin-manager", "--exec", "--plugin", "app-snapshot-plugin"]);
    expect(params).toEqual({ RamRoleName: "snap", Name: "db", InstantAccess: "true", InstantAccessRentationDays: "2", EnableFsFreeze: "true", TimeoutInSeconds: "30", PreScriptPath: "/root/pre.sh", PostScriptPath: "/root/post.sh" });
  });

  it.each([`it's "quoted"`, "a $HOME `whoami` $(id)", "commas, and = signs", "back\\slash", "  spaced  "])("keeps any name intact through sh and the plugin: %s", (name) => {
    const { params } = parse(pluginCommand({ osType: "linux", ramRoleName: "r", name, description: name }).content);
    expect(params.Name).toBe(name);
    expect(params.Description).toBe(name);
  });

  it("builds the Windows command with VSS writers and RunBatScript", () => {
    const cmd = pluginCommand({ osType: "windows", ramRoleName: "r", name: "app server", enableWriters: false });
    expect(cmd.type).toBe("RunBatScript");
    const { words, params } = parse(cmd.content);
    expect(words[3]).toBe("app-snapshot-plugin-win");
    expect(params).toEqual({ RamRoleName: "r", Name: "app server", EnableWriters: "false" });
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

  it("parses the snapshot group id and warnings from base64 output", () => {
    const raw = `[WARN] /root/pre.sh is owned by app with mode 755, not root 700: falling back\n[snapshotgroup="ssg-abc123"][message="Finish whole Processes of Snapshot successfully"]\n`;
    expect(parsePluginOutput(Buffer.from(raw).toString("base64"))).toEqual({
      snapshotGroupId: "ssg-abc123",
      message: "Finish whole Processes of Snapshot successfully",
      warnings: ["[WARN] /root/pre.sh is owned by app with mode 755, not root 700: falling back"],
    });
    expect(parsePluginOutput("", "PlainText")).toEqual({ snapshotGroupId: undefined, message: undefined, warnings: [] });
  });
});

describe("ConsistentSnapshotGroup check", () => {
  const ok = { instanceId: "i-1", ramRoleName: "snap" };
  it.each([
    [{ ...ok, preScriptPath: "/root/pre.sh" }, "postScriptPath", /both or neither/],
    [{ ...ok, preScriptPath: "pre.sh", postScriptPath: "/p" }, "preScriptPath", /absolute path/],
    [{ ...ok, instantAccessRetentionDays: 3 }, "instantAccessRetentionDays", /needs instantAccess/],
    [{ ...ok, instantAccess: true, instantAccessRetentionDays: 65536 }, "instantAccessRetentionDays", /at most 65535/],
    [{ ...ok, osType: "windows", enableFsFreeze: true }, "enableFsFreeze", /Linux only/],
    [{ ...ok, osType: "windows", description: "a & b" }, "description", /cmd\.exe/],
    [{ ...ok, enableWriters: true }, "enableWriters", /Windows only/],
    [{ ...ok, name: "line\nbreak" }, "name", /starts with a letter/],
    [{ ...ok, description: "line\nbreak" }, "description", /control characters/],
    [{ ...ok, name: "my db" }, "name", /only letters, digits/],
    [{ ...ok, name: "x" }, "name", /2-128 characters/],
    [{ instanceId: "i-1" }, "ramRoleName", /ramRoleName is required/],
  ])("rejects %# naming the field", (news, property, reason) => {
    const { failures } = checkInputs(consistentSnapshotGroupSchema, news as any);
    const f = failures.find((x) => x.property === property);
    expect(f, JSON.stringify(failures)).toBeDefined();
    expect(f!.reason).toMatch(reason);
  });
});
