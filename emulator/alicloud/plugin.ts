// The app-snapshot plugin as Cloud Assistant runs it inside an instance: `acs-plugin-manager --exec
// --plugin app-snapshot-plugin --params=…` (Linux, RunShellScript) or `app-snapshot-plugin-win`
// (Windows, RunBatScript). It checks the documented prerequisites, runs the freeze/thaw scripts, and
// creates the snapshot group through the same ECS model as the CreateSnapshotGroup API, with the
// instance's RAM role — answering with the documented exit codes (API notes, "The app-snapshot plugin").
//
// Order of the checks (each failure ends the run with its code):
//   232-247 acs-plugin-manager itself fails (a drill's `pluginManagerExitCode`): the plugin never runs
//   2  its argument list (agent.ts: exactly what acs-plugin-manager hands it) is not what it takes: an
//      unknown or OS-foreign flag, a bad boolean or number, or a stray word that is no flag at all (Go's
//      flag package rules: the plugin logs in logrus style, a Go program)
//   1  the plugin's OS is not the instance's; the snapshot group name is invalid
//   1  no RAM role attached to the instance
//   13 -RamRoleName is not the attached role, or that role is gone or cannot be assumed by ECS
//   3  the role's policies do not allow the snapshot actions (DescribeDisks, CreateSnapshotGroup,
//      DescribeSnapshotGroups, DescribeSnapshots, TagResources)
//   1  a network or shared file system is mounted, or a file system other than ext3/ext4/xfs (Linux) or
//      NTFS (Windows) — fsfreeze takes every mount, excluded disks included (field report)
//   3  no ESSD-family disk at all; 1 every such disk excluded ("All attached ESSD Disks were excluded"),
//      or a selected disk outside the ESSD family (cloud_essd, cloud_auto, cloud_essd_entry,
//      cloud_regional_disk_auto: API notes, Corrections)
//   N  a drill's forced exit code (admin), before anything is snapshotted
//   9  the pre-script exits non-zero (scripts run only when both are present, root-owned, mode 700;
//      otherwise the run silently falls back to file-system consistency, with a warning line saying why)
//   14 / 4  CreateSnapshotGroup fails: QuotaExceed.Snapshot / anything else
//   10 the post-script exits non-zero — after the group was created, which is left in place
//
// Output: log lines `[level="info"][time="…"][message="…"]`, failures `[level="error"][time=…][message="…"]`
// (3rd-party field log, API notes), and on success the documented
// `[snapshotgroup="ssg-…"][message="Finish whole Processes of Snapshot successfully"]`. The level name of
// the fallback warning (`warning`) and the list syntax of -ExcludeDiskId (comma-separated) are not
// confirmed by any source.
import { goFlagParse, managerFailureLine, parseManagerArgs, pluginArgv } from "./agent";
import type { GuestRun } from "./assistant/model";
import { commandWords, firstCommandLine } from "./commandLine";
import { ESSD_FAMILY, type EcsModel, type Instance, type SnapshotGroup } from "./ecs/model";
import { AcsError } from "./errors";
import { parsePolicyDocument, policiesAllow, type RamModel } from "./ram/model";

export { shellWords } from "./commandLine";

export interface PluginEnv {
  ecs: EcsModel;
  ram: RamModel;
}

const KINDS = {
  RamRoleName: "string",
  Name: "string",
  Description: "string",
  InstantAccess: "bool",
  InstantAccessRentationDays: "int",
  ExcludeDiskId: "string",
  EnableFsFreeze: "bool",
  TimeoutInSeconds: "int",
  PreScriptPath: "string",
  PostScriptPath: "string",
  ScriptTimeoutInSeconds: "int",
  EnableWriters: "bool",
} as const;
type Key = keyof typeof KINDS;
const LINUX_ONLY: Key[] = ["EnableFsFreeze", "TimeoutInSeconds", "PreScriptPath", "PostScriptPath", "ScriptTimeoutInSeconds"];
const WINDOWS_ONLY: Key[] = ["EnableWriters"];
const SUPPORTED_FS = { linux: ["ext3", "ext4", "xfs"], windows: ["ntfs"] };
const NETWORK_FS = ["nfs", "cifs", "smb", "nas", "cpfs"];
export const SNAPSHOT_ACTIONS = ["ecs:DescribeDisks", "ecs:CreateSnapshotGroup", "ecs:DescribeSnapshotGroups", "ecs:DescribeSnapshots", "ecs:TagResources"];
const GROUP_NAME = /^[A-Za-z\u4e00-\u9fa5][\w\u4e00-\u9fa5.:-]{1,127}$/;

/** What one run of acs-plugin-manager in a command amounts to, if the command runs it with --exec. */
export interface PluginCall {
  plugin?: string;
  /** The argument list the plugin is started with (SplitArgs), as recorded for the admin API. */
  argv: string[];
  /** Set when acs-plugin-manager could not parse its own command line. */
  managerError?: string;
}

/** The acs-plugin-manager --exec call of a command, if it is one (undefined otherwise). */
export function pluginInvocation(content: string, type: string): PluginCall | undefined {
  const words = commandWords(firstCommandLine(content), type);
  if (!words.length || !/(^|[\\/])acs-plugin-manager(\.exe)?$/i.test(words[0])) return undefined;
  const call = parseManagerArgs(words.slice(1));
  if (call.error) return { argv: [], managerError: call.error };
  if (call.flags.exec !== true) return undefined;
  return { plugin: typeof call.flags.plugin === "string" ? call.flags.plugin : undefined, argv: pluginArgv(call.flags) };
}

/** One line of the plugin's log, as the field log shows them (error lines carry an unquoted time). */
function logLine(level: "info" | "warning" | "error", at: number, message: string): string {
  const time = new Date(at).toISOString();
  return `[level="${level}"][time=${level === "error" ? time : `"${time}"`}][message="${message.replace(/"/g, '\\"')}"]`;
}

type Params = { get(k: Key): string | undefined; bool(k: Key, dflt: boolean): boolean; int(k: Key): number | undefined };

function readParams(argv: string[], windows: boolean): Params | string {
  const parsed = goFlagParse(argv, KINDS);
  if (parsed.error) return parsed.error;
  // A word that is no flag: the parameters were mangled on the way (e.g. a comma-split list).
  if (parsed.rest.length) return `unexpected argument ${JSON.stringify(parsed.rest[0])}: parameters are -Name=value`;
  const p = parsed.values;
  for (const k of Object.keys(p) as Key[]) {
    if ((windows ? LINUX_ONLY : WINDOWS_ONLY).includes(k)) return `flag provided but not defined: -${k}`;
  }
  return {
    get: (k) => (p[k] === undefined || p[k] === "" ? undefined : p[k]),
    bool: (k, dflt) => (p[k] === undefined ? dflt : p[k] === "true"),
    int: (k) => (p[k] === undefined || p[k] === "" ? undefined : Number(p[k])),
  };
}

/** Runs the plugin on `inst` at emulated time `at`; undefined when the command is not this plugin. */
export function runAppSnapshotPlugin(env: PluginEnv, inst: Instance, content: string, type: string, at: number): GuestRun | undefined {
  let call: PluginCall | undefined;
  try {
    call = pluginInvocation(content, type);
  } catch (e) {
    // The shell could not even parse the line: acs-plugin-manager never ran.
    return /acs-plugin-manager/.test(content) ? { exitCode: 2, output: `syntax error: ${(e as Error).message}\n` } : undefined;
  }
  // Other acs-plugin-manager uses (--list, --status…) are not simulated: left to the generic runner.
  if (!call) return undefined;
  const log: string[] = [];
  const done = (exitCode: number, error?: string): GuestRun => ({ exitCode, output: [...log, ...(error ? [logLine("error", at, error)] : []), ""].join("\n"), pluginArgv: call!.argv });
  if (call.managerError) return { exitCode: 1, output: `ERROR: ${call.managerError}\n`, pluginArgv: [] };
  const pluginName = call.plugin ?? "";
  if (inst.pluginManagerExitCode !== undefined) return { exitCode: inst.pluginManagerExitCode, output: `${managerFailureLine(inst.pluginManagerExitCode, pluginName)}\n`, pluginArgv: [] };
  if (pluginName !== "app-snapshot-plugin" && pluginName !== "app-snapshot-plugin-win") {
    // acs-plugin-manager finds no such package online (PACKAGE_NOT_FOUND).
    return { exitCode: 234, output: `${managerFailureLine(234, pluginName)}\n`, pluginArgv: [] };
  }
  const windows = pluginName === "app-snapshot-plugin-win";
  const p = readParams(call.argv, windows);
  if (typeof p === "string") return done(2, p);

  if (windows !== (inst.OSType === "windows")) return done(1, `${pluginName} does not run on a ${inst.OSType} instance`);
  const name = p.get("Name");
  if (name !== undefined && (!GROUP_NAME.test(name) || /^https?:\/\//i.test(name))) {
    return done(1, "the snapshot group name must be 2 to 128 characters, start with a letter, and contain only letters, digits, '.', '_', '-' and ':'");
  }

  // The instance's RAM role: the plugin signs its ECS calls with it.
  const attached = inst.ramRoleName;
  if (!attached) return done(1, "the instance has no RAM role attached");
  const wanted = p.get("RamRoleName") ?? attached;
  if (wanted !== attached) return done(13, `RAM role ${wanted} is not authorized on this instance (its role is ${attached})`);
  if (!env.ram.roles.has(attached) || !env.ram.trusts(attached, "ecs.aliyuncs.com")) return done(13, `RAM role ${attached} cannot be assumed by ECS (it is gone, or its trust policy does not name ecs.aliyuncs.com)`);
  const denied = SNAPSHOT_ACTIONS.filter((a) => !roleAllows(env, inst, a));
  if (denied.length) return done(3, `RAM role ${attached} is not allowed ${denied.join(", ")}`);

  // Disks and mounts.
  const netFs = inst.disks.find((d) => NETWORK_FS.includes(d.FileSystem));
  if (netFs) return done(1, `network or shared file systems are not supported (${netFs.FileSystem} on ${netFs.DiskId})`);
  const badFs = inst.disks.find((d) => !SUPPORTED_FS[inst.OSType].includes(d.FileSystem));
  if (badFs) return done(1, `file system ${badFs.FileSystem} on ${badFs.DiskId} is not supported (${SUPPORTED_FS[inst.OSType].join(", ")})`);
  const excluded = (p.get("ExcludeDiskId") ?? "").split(",").filter(Boolean);
  const selected = inst.disks.filter((d) => !excluded.includes(d.DiskId));
  if (!inst.disks.some((d) => ESSD_FAMILY.includes(d.Category))) return done(3, "there is no ESSD disk on the instance");
  if (!selected.some((d) => ESSD_FAMILY.includes(d.Category))) return done(1, "All attached ESSD Disks were excluded");
  const notEssd = selected.filter((d) => !ESSD_FAMILY.includes(d.Category));
  if (notEssd.length) return done(1, `disk category not supported: ${notEssd.map((d) => `${d.DiskId} (${d.Category})`).join(", ")}; exclude them or use ESSD`);

  if (inst.forcedExitCode !== undefined) return done(inst.forcedExitCode, "forced by the emulator's admin API (drill)");

  // Consistency: valid scripts make it application-consistent; anything wrong with them silently
  // downgrades to file-system consistency.
  log.push(logLine("info", at, `${pluginName}: instance ${inst.InstanceId}, disks ${selected.map((d) => d.DiskId).join(",")}`));
  let consistency: "APPConsistent" | "FsConsistent" | undefined;
  let scripts: { pre: string; post: string } | undefined;
  if (windows) {
    consistency = p.bool("EnableWriters", true) ? "APPConsistent" : "FsConsistent";
  } else {
    const pre = p.get("PreScriptPath");
    const post = p.get("PostScriptPath");
    const problems = [pre, post].flatMap((path) => (path ? scriptProblem(inst, path) : []));
    if (pre && post && problems.length === 0) scripts = { pre, post };
    else if (pre || post) {
      const why = problems.length ? problems : ["both -PreScriptPath and -PostScriptPath are needed"];
      for (const w of why) log.push(logLine("warning", at, `${w}: falling back to file-system consistency`));
    }
    consistency = scripts ? "APPConsistent" : p.bool("EnableFsFreeze", true) ? "FsConsistent" : undefined;
  }

  if (scripts) {
    const code = inst.files[scripts.pre].exitCode;
    if (code !== 0) return done(9, `the pre-script ${scripts.pre} exited ${code}`);
    log.push(logLine("info", at, `pre-script ${scripts.pre} exited 0`));
  }
  if (consistency === "FsConsistent" || scripts) log.push(logLine("info", at, "file systems frozen"));

  let group: SnapshotGroup;
  try {
    group = env.ecs.createSnapshotGroup({
      RegionId: inst.RegionId,
      InstanceId: inst.InstanceId,
      ExcludeDiskIds: excluded,
      InstantAccess: p.bool("InstantAccess", false),
      InstantAccessRetentionDays: p.int("InstantAccessRentationDays"),
      Name: name,
      Description: p.get("Description"),
      at,
    });
  } catch (e) {
    if (!(e instanceof AcsError)) throw e;
    const code = e.code === "QuotaExceed.Snapshot" ? 14 : 4;
    return done(code, `${code === 14 ? "snapshot quota exceeded" : "the snapshot group could not be created"}: CreateSnapshotGroup failed with ${e.code}: ${e.message}`);
  }
  if (consistency) env.ecs.tagSnapshots(group, [{ Key: consistency, Value: "True" }]);
  if (consistency === "FsConsistent" || scripts) log.push(logLine("info", at, "file systems thawed"));
  log.push(logLine("info", at, `snapshot group ${group.SnapshotGroupId} created`));

  if (scripts) {
    const code = inst.files[scripts.post].exitCode;
    if (code !== 0) return done(10, `the post-script ${scripts.post} exited ${code}`);
    log.push(logLine("info", at, `post-script ${scripts.post} exited 0`));
  }
  log.push(`[snapshotgroup="${group.SnapshotGroupId}"][message="Finish whole Processes of Snapshot successfully"]`);
  return done(0);
}

/** The instance's role allows `action`, within the policy given to AttachInstanceRamRole if any. */
function roleAllows(env: PluginEnv, inst: Instance, action: string): boolean {
  if (!inst.ramRoleName || !env.ram.allows(inst.ramRoleName, action)) return false;
  return inst.ramRolePolicy ? policiesAllow(parsePolicyDocument(inst.ramRolePolicy, "permission"), action) : true;
}

/** Why the plugin would not run this script (absent, not root's, not mode 700), if it would not. */
function scriptProblem(inst: Instance, path: string): string[] {
  const f = Object.hasOwn(inst.files, path) ? inst.files[path] : undefined;
  if (!f) return [`${path} not found`];
  if (f.owner !== "root" || f.mode !== "700") return [`${path} is owned by ${f.owner} with mode ${f.mode}, not root 700`];
  return [];
}
