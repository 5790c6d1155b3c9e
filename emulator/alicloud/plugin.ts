// The app-snapshot plugin as Cloud Assistant runs it inside an instance: `acs-plugin-manager --exec
// --plugin app-snapshot-plugin --params=…` (Linux, RunShellScript) or `app-snapshot-plugin-win`
// (Windows, RunBatScript). It checks the documented prerequisites, runs the freeze/thaw scripts, and
// creates the snapshot group through the same ECS model as the CreateSnapshotGroup API, with the
// instance's RAM role — answering with the documented exit codes (API notes, "The app-snapshot plugin").
//
// Order of the checks (each failure ends the run with its code):
//   2  --params unparseable, an unknown or OS-foreign parameter, a bad boolean or number
//   1  the plugin's OS is not the instance's; the snapshot group name is invalid
//   1  no RAM role attached to the instance
//   13 -RamRoleName is not the attached role, or that role is gone or cannot be assumed by ECS
//   3  the role's policies do not allow the snapshot actions (DescribeDisks, CreateSnapshotGroup,
//      DescribeSnapshotGroups, DescribeSnapshots, TagResources)
//   1  a network or shared file system is mounted, or a file system other than ext3/ext4/xfs (Linux) or
//      NTFS (Windows) — fsfreeze takes every mount, excluded disks included (field report)
//   3  no ESSD disk at all; 1 every ESSD disk excluded ("All attached ESSD Disks were excluded"), or a
//      selected disk that is not ESSD
//   N  a drill's forced exit code (admin), before anything is snapshotted
//   9  the pre-script exits non-zero (scripts run only when both are present, root-owned, mode 700;
//      otherwise the run silently falls back to file-system consistency, with a [WARN] line saying why)
//   14 / 16 / 4  CreateSnapshotGroup fails: QuotaExceed.Snapshot / IncorrectDiskStatus.CreatingSnapshot
//      (the previous snapshot of a disk still being created, without instant access) / anything else
//   10 the post-script exits non-zero — after the group was created, which is left in place
//
// Accepted --params syntax: `-Key=Value` items separated by commas; a value may be double-quoted, and
// inside quotes \" and \\ are escapes and commas are literal; an unquoted fragment that does not start
// with `-Key=` continues the previous value (so `-ExcludeDiskId=d-1,d-2` keeps both ids). Booleans are
// true/false in any case. --params=X and --params X are both accepted, as are -e/-P/-p for
// --exec/--plugin/--params. The command line itself is split as the shell of its Type would (see
// commandLine.ts).
import type { GuestRun } from "./assistant/model";
import { commandWords, firstCommandLine } from "./commandLine";
import type { EcsModel, Instance, SnapshotGroup } from "./ecs/model";
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
const LINUX_ONLY = ["EnableFsFreeze", "TimeoutInSeconds", "PreScriptPath", "PostScriptPath", "ScriptTimeoutInSeconds"];
const WINDOWS_ONLY = ["EnableWriters"];
const SUPPORTED_FS = { linux: ["ext3", "ext4", "xfs"], windows: ["ntfs"] };
const NETWORK_FS = ["nfs", "cifs", "smb", "nas", "cpfs"];
export const SNAPSHOT_ACTIONS = ["ecs:DescribeDisks", "ecs:CreateSnapshotGroup", "ecs:DescribeSnapshotGroups", "ecs:DescribeSnapshots", "ecs:TagResources"];
const GROUP_NAME = /^[A-Za-z\u4e00-\u9fa5][\w\u4e00-\u9fa5.:-]{1,127}$/;

/** `-Key=Value,-Key="quoted, value"` → { Key: Value } (see the syntax above). */
export function parsePluginParams(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let last: string | undefined;
  let i = 0;
  while (i < text.length) {
    if (text[i] === ",") {
      i++;
      continue;
    }
    const head = /^-([A-Za-z]+)=/.exec(text.slice(i));
    if (!head) {
      // A fragment after a comma that is not a new item: part of the previous unquoted value.
      if (last === undefined) throw new Error(`expected -Key=Value at offset ${i}`);
      let more = "";
      while (i < text.length && text[i] !== ",") more += text[i++];
      out[last] += `,${more}`;
      continue;
    }
    const key = head[1];
    if (key in out) throw new Error(`-${key} is given twice`);
    i += head[0].length;
    let value = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
        value += text[i++];
      }
      if (i >= text.length) throw new Error(`unterminated quoted value of -${key}`);
      i++;
      if (i < text.length && text[i] !== ",") throw new Error(`a comma must follow the quoted value of -${key}`);
      last = undefined;
    } else {
      while (i < text.length && text[i] !== ",") value += text[i++];
      last = key;
    }
    out[key] = value;
  }
  return out;
}

/** What acs-plugin-manager is asked to do, if this command runs it. */
export function pluginInvocation(content: string, type: string): { exec: boolean; plugin?: string; params: string } | undefined {
  const words = commandWords(firstCommandLine(content), type);
  if (!words.length || !/(^|[\\/])acs-plugin-manager(\.exe)?$/i.test(words[0])) return undefined;
  const exec = words.includes("--exec") || words.includes("-e");
  let plugin: string | undefined;
  let params = "";
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === "--plugin" || w === "-P") plugin = words[++i];
    else if (w.startsWith("--plugin=")) plugin = w.slice("--plugin=".length);
    else if (w === "--params" || w === "-p") params = words[++i] ?? "";
    else if (w.startsWith("--params=")) params = w.slice("--params=".length);
  }
  return { exec, plugin, params };
}

const fail = (exitCode: number, message: string, log: string[] = []): GuestRun => ({ exitCode, output: [...log, `[ERROR] ${message} [exitcode=${exitCode}]`, ""].join("\n") });

type Params = { get(k: keyof typeof KINDS): string | undefined; bool(k: keyof typeof KINDS, dflt: boolean): boolean; int(k: keyof typeof KINDS): number | undefined };

function readParams(raw: string, windows: boolean): Params | string {
  let p: Record<string, string>;
  try {
    p = parsePluginParams(raw);
  } catch (e) {
    return `invalid --params: ${(e as Error).message}`;
  }
  for (const k of Object.keys(p)) {
    if (!Object.hasOwn(KINDS, k)) return `unknown parameter -${k}`;
    if ((windows ? LINUX_ONLY : WINDOWS_ONLY).includes(k)) return `-${k} is not a parameter of ${windows ? "app-snapshot-plugin-win" : "app-snapshot-plugin"}`;
    const kind = KINDS[k as keyof typeof KINDS];
    if (kind === "bool" && !/^(true|false)$/i.test(p[k])) return `-${k} must be true or false, not "${p[k]}"`;
    if (kind === "int" && !/^\d{1,9}$/.test(p[k])) return `-${k} must be a whole number, not "${p[k]}"`;
  }
  return {
    get: (k) => (p[k] === undefined || p[k] === "" ? undefined : p[k]),
    bool: (k, dflt) => (p[k] === undefined || p[k] === "" ? dflt : /^true$/i.test(p[k])),
    int: (k) => (p[k] === undefined || p[k] === "" ? undefined : Number(p[k])),
  };
}

/** Runs the plugin on `inst` at emulated time `at`; undefined when the command is not this plugin. */
export function runAppSnapshotPlugin(env: PluginEnv, inst: Instance, content: string, type: string, at: number): GuestRun | undefined {
  let call: ReturnType<typeof pluginInvocation>;
  try {
    call = pluginInvocation(content, type);
  } catch (e) {
    // The shell could not even parse the line: acs-plugin-manager never ran with sane arguments.
    return /acs-plugin-manager/.test(content) ? fail(2, `cannot parse the command line: ${(e as Error).message}`) : undefined;
  }
  // Other acs-plugin-manager uses (--list, --status…) are not simulated: left to the generic runner.
  if (!call || !call.exec) return undefined;
  if (!call.plugin) return fail(1, "acs-plugin-manager --exec needs --plugin <name>");
  if (call.plugin !== "app-snapshot-plugin" && call.plugin !== "app-snapshot-plugin-win") {
    return fail(1, `plugin ${call.plugin} is not one the emulator simulates (only app-snapshot-plugin and app-snapshot-plugin-win)`);
  }
  const windows = call.plugin === "app-snapshot-plugin-win";
  const p = readParams(call.params, windows);
  if (typeof p === "string") return fail(2, p);

  if (windows !== (inst.OSType === "windows")) return fail(1, `${call.plugin} does not run on a ${inst.OSType} instance`);
  const name = p.get("Name");
  if (name !== undefined && (!GROUP_NAME.test(name) || /^https?:\/\//i.test(name))) {
    return fail(1, "the snapshot group name must be 2 to 128 characters, start with a letter, and contain only letters, digits, '.', '_', '-' and ':'");
  }

  // The instance's RAM role: the plugin signs its ECS calls with it.
  const attached = inst.ramRoleName;
  if (!attached) return fail(1, "the instance has no RAM role attached");
  const wanted = p.get("RamRoleName") ?? attached;
  if (wanted !== attached) return fail(13, `RAM role ${wanted} is not authorized on this instance (its role is ${attached})`);
  if (!env.ram.roles.has(attached) || !env.ram.trusts(attached, "ecs.aliyuncs.com")) return fail(13, `RAM role ${attached} cannot be assumed by ECS (it is gone, or its trust policy does not name ecs.aliyuncs.com)`);
  const denied = SNAPSHOT_ACTIONS.filter((a) => !roleAllows(env, inst, a));
  if (denied.length) return fail(3, `RAM role ${attached} is not allowed ${denied.join(", ")}`);

  // Disks and mounts.
  const netFs = inst.disks.find((d) => NETWORK_FS.includes(d.FileSystem));
  if (netFs) return fail(1, `network or shared file systems are not supported (${netFs.FileSystem} on ${netFs.DiskId})`);
  const badFs = inst.disks.find((d) => !SUPPORTED_FS[inst.OSType].includes(d.FileSystem));
  if (badFs) return fail(1, `file system ${badFs.FileSystem} on ${badFs.DiskId} is not supported (${SUPPORTED_FS[inst.OSType].join(", ")})`);
  const excluded = (p.get("ExcludeDiskId") ?? "").split(/[\s,]+/).filter(Boolean);
  const selected = inst.disks.filter((d) => !excluded.includes(d.DiskId));
  if (!inst.disks.some((d) => d.Category === "cloud_essd")) return fail(3, "there is no ESSD disk on the instance");
  if (!selected.some((d) => d.Category === "cloud_essd")) return fail(1, "All attached ESSD Disks were excluded");
  const notEssd = selected.filter((d) => d.Category !== "cloud_essd");
  if (notEssd.length) return fail(1, `disk category not supported: ${notEssd.map((d) => `${d.DiskId} (${d.Category})`).join(", ")}; exclude them or use ESSD`);

  if (inst.forcedExitCode !== undefined) return fail(inst.forcedExitCode, "forced by the emulator's admin API (drill)");

  // Consistency: valid scripts make it application-consistent; anything wrong with them silently
  // downgrades to file-system consistency.
  const log: string[] = [`[INFO] ${call.plugin}: instance ${inst.InstanceId}, disks ${selected.map((d) => d.DiskId).join(",")}`];
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
      for (const w of why) log.push(`[WARN] ${w}: falling back to file-system consistency`);
    }
    consistency = scripts ? "APPConsistent" : p.bool("EnableFsFreeze", true) ? "FsConsistent" : undefined;
  }

  if (scripts) {
    const code = inst.files[scripts.pre].exitCode;
    if (code !== 0) return fail(9, `the pre-script ${scripts.pre} exited ${code}`, log);
    log.push(`[INFO] pre-script ${scripts.pre} exited 0`);
  }
  if (consistency === "FsConsistent" || scripts) log.push("[INFO] file systems frozen");

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
    const code = e.code === "QuotaExceed.Snapshot" ? 14 : e.code === "IncorrectDiskStatus.CreatingSnapshot" ? 16 : 4;
    const why = code === 14 ? "snapshot quota exceeded" : code === 16 ? "the previous snapshot is still being created" : "the snapshot group could not be created";
    return fail(code, `${why}: CreateSnapshotGroup failed with ${e.code}: ${e.message}`, log);
  }
  if (consistency) env.ecs.tagSnapshots(group, [{ Key: consistency, Value: "True" }]);
  if (consistency === "FsConsistent" || scripts) log.push("[INFO] file systems thawed");
  log.push(`[INFO] snapshot group created [snapshotgroup="${group.SnapshotGroupId}"]`);

  if (scripts) {
    const code = inst.files[scripts.post].exitCode;
    if (code !== 0) return fail(10, `the post-script ${scripts.post} exited ${code}`, log);
    log.push(`[INFO] post-script ${scripts.post} exited 0`);
  }
  log.push(`[snapshotgroup="${group.SnapshotGroupId}"][message="Finish whole Processes of Snapshot successfully"]`, "");
  return { exitCode: 0, output: log.join("\n") };
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
