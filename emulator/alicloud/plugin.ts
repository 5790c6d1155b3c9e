// A simulation of the app-snapshot plugin (`acs-plugin-manager --exec --plugin app-snapshot-plugin`,
// `app-snapshot-plugin-win` on Windows) as Cloud Assistant runs it on an instance: parses the command
// line and its --params, checks the documented prerequisites in order, and ends with the documented
// exit code and output, creating the snapshot group on success.
//
// Accepted quoting (sh and cmd alike): words split on unquoted whitespace; '…' literal (sh); "…" with
// backslash escapes of " \ $ `; a backslash outside quotes escapes the next character. Inside --params:
// `-Key=Value` items split on commas outside double quotes; a double-quoted Value takes \" and \\.
import type { AlicloudModel, Instance } from "./models";

export interface PluginRun {
  exitCode: number;
  output: string;
  /** Set when Cloud Assistant itself could not run the command (no exit code). */
  errorCode?: string;
  errorInfo?: string;
}

/** Splits a shell command line into words. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
        cur += line[i++];
      }
      if (i >= line.length) throw new Error("unterminated double quote");
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** `-Key=Value,-Key="quoted, value"` → { Key: Value }. */
export function parsePluginParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] !== "-") throw new Error(`expected -Key=Value at offset ${i}`);
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`missing = after ${text.slice(i, i + 20)}`);
    const key = text.slice(i + 1, eq);
    if (!/^[A-Za-z]+$/.test(key)) throw new Error(`bad parameter name ${key}`);
    i = eq + 1;
    let value = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (i >= text.length) throw new Error(`unterminated quoted value of ${key}`);
      i++;
    } else {
      while (i < text.length && text[i] !== ",") value += text[i++];
    }
    out[key] = value;
  }
  return out;
}

const SUPPORTED_FS = { linux: ["ext3", "ext4", "xfs"], windows: ["ntfs"] };
const NETWORK_FS = ["nfs", "cifs", "smb", "nas", "cpfs"];
const SNAPSHOT_ACTIONS = /^ecs:(\*|CreateSnapshot\*|CreateSnapshotGroup|CreateSnapshot)$/;

const fail = (exitCode: number, message: string): PluginRun => ({ exitCode, output: `[ERROR] ${message} [exitcode=${exitCode}]\n` });

/** Runs the plugin command on `inst`; undefined when the command is not the app-snapshot plugin. */
export function runAppSnapshotPlugin(model: AlicloudModel, inst: Instance, commandLine: string, type: string): PluginRun | undefined {
  let words: string[];
  try {
    words = shellWords(commandLine.trim());
  } catch (e) {
    return words_unparseable(e as Error);
  }
  const pm = words.indexOf("acs-plugin-manager");
  if (pm < 0 || !words.includes("--exec")) return undefined;
  const plugin = words[words.indexOf("--plugin") + 1];
  if (plugin !== "app-snapshot-plugin" && plugin !== "app-snapshot-plugin-win") return undefined;
  const windows = plugin === "app-snapshot-plugin-win";

  if (!inst.agentInstalled) return { exitCode: -1, output: "", errorCode: "ClientNotRunning", errorInfo: "the Cloud Assistant agent is not running" };
  // --params=X or --params X
  const pIdx = words.findIndex((w) => w === "--params" || w.startsWith("--params="));
  let params: Record<string, string>;
  try {
    const raw = pIdx < 0 ? "" : words[pIdx].startsWith("--params=") ? words[pIdx].slice("--params=".length) : (words[pIdx + 1] ?? "");
    params = parsePluginParams(raw);
  } catch (e) {
    return fail(2, `invalid --params: ${(e as Error).message}`);
  }
  const bool = (k: string, dflt: boolean) => (params[k] === undefined ? dflt : params[k] === "true");
  const known = ["RamRoleName", "InstantAccess", "EnableFsFreeze", "TimeoutInSeconds", "PreScriptPath", "PostScriptPath", "InstantAccessRentationDays", "ExcludeDiskId", "Name", "Description", "ScriptTimeoutInSeconds", "EnableWriters"];
  const unknown = Object.keys(params).filter((k) => !known.includes(k));
  if (unknown.length) return fail(2, `unknown parameter(s) ${unknown.join(", ")}`);
  for (const k of ["TimeoutInSeconds", "InstantAccessRentationDays", "ScriptTimeoutInSeconds"]) {
    if (params[k] !== undefined && !/^\d+$/.test(params[k])) return fail(2, `-${k} must be a whole number`);
  }

  // 1: preconditions — OS and Cloud Assistant shell.
  if (windows !== (inst.OSType === "windows")) return fail(1, `${plugin} does not run on ${inst.OSType}`);
  if (windows !== (type === "RunBatScript" || type === "RunPowerShellScript")) return fail(1, `${plugin} needs ${windows ? "RunBatScript" : "RunShellScript"}`);
  if (params.Name !== undefined && (params.Name.length < 2 || params.Name.length > 128)) return fail(1, "the snapshot group name must be 2 to 128 characters");

  // RAM role: attached (1), named as attached and trusting ECS (13), allowed to snapshot (3).
  const attached = model.instanceRoles.get(inst.InstanceId);
  if (!attached) return fail(1, "the instance has no RAM role");
  if (params.RamRoleName && params.RamRoleName !== attached) return fail(13, `RAM role ${params.RamRoleName} is not authorised on this instance (it has ${attached})`);
  const role = model.roles.get(attached);
  if (!role || !trustsEcs(role.AssumeRolePolicyDocument)) return fail(13, `RAM role ${attached} cannot be assumed by ECS`);
  if (![...role.policies].some((p) => allowsSnapshots(model.policies.get(p)?.PolicyDocument))) return fail(3, `RAM role ${attached} lacks permission to create snapshots`);

  // Disks.
  const excluded = (params.ExcludeDiskId ?? "").split(/[,\s]+/).filter(Boolean);
  const disks = inst.disks.filter((d) => !excluded.includes(d.DiskId));
  if (disks.some((d) => NETWORK_FS.includes(d.FileSystem))) return fail(1, "network or shared file systems are not supported");
  const essd = disks.filter((d) => d.Category === "cloud_essd");
  if (essd.length === 0) return fail(inst.disks.some((d) => d.Category === "cloud_essd") ? 1 : 3, inst.disks.some((d) => d.Category === "cloud_essd") ? "All attached ESSD Disks were excluded" : "no ESSD disk on the instance");
  const badFs = essd.find((d) => !SUPPORTED_FS[inst.OSType].includes(d.FileSystem));
  if (badFs) return fail(1, `file system ${badFs.FileSystem} on ${badFs.DiskId} is not supported`);
  if (essd.length < disks.length) return fail(1, `disk category not supported: ${disks.filter((d) => d.Category !== "cloud_essd").map((d) => `${d.DiskId} (${d.Category})`).join(", ")}`);

  // Quota, an unfinished previous group (16), a drill's forced code.
  if (model.opts.snapshotQuota <= 0) return fail(14, "snapshot quota exceeded");
  const busy = [...model.groups.values()].some((g) => g.InstanceId === inst.InstanceId && model.groupStatus(g) === "progressing");
  if (busy && bool("InstantAccess", false)) return fail(16, "the previous snapshot is still being created");
  if (inst.forcedExitCode !== undefined) return fail(inst.forcedExitCode, "forced by the emulator's admin API");

  // Consistency: scripts that are present, root-owned and mode 700 make it application-consistent; a
  // wrong script silently downgrades to file-system consistency (as the cloud does).
  let consistency: "APPConsistent" | "FsConsistent" | undefined;
  const notes: string[] = [];
  if (windows) consistency = bool("EnableWriters", true) ? "APPConsistent" : "FsConsistent";
  else {
    const pre = params.PreScriptPath;
    const post = params.PostScriptPath;
    const ok = (p: string | undefined) => {
      const f = p ? inst.files[p] : undefined;
      if (!p) return false;
      if (!f) notes.push(`${p} not found`);
      else if (f.owner !== "root" || f.mode !== "700") notes.push(`${p} is owned by ${f.owner} with mode ${f.mode}, not root 700`);
      return Boolean(f && f.owner === "root" && f.mode === "700");
    };
    if (pre && post && ok(pre) && ok(post)) {
      if (inst.files[pre].exitCode !== 0) return fail(9, `the pre-script ${pre} exited ${inst.files[pre].exitCode}`);
      if (inst.files[post].exitCode !== 0) return fail(10, `the post-script ${post} exited ${inst.files[post].exitCode}`);
      consistency = "APPConsistent";
    } else if (bool("EnableFsFreeze", true)) consistency = "FsConsistent";
  }

  model.opts.snapshotQuota -= 1;
  const group = model.createSnapshotGroup({
    InstanceId: inst.InstanceId,
    Name: params.Name,
    Description: params.Description,
    ExcludeDiskIds: excluded,
    InstantAccess: bool("InstantAccess", false),
    tags: consistency ? [{ Key: consistency, Value: "True" }] : [],
  });
  const warn = notes.map((n) => `[WARN] ${n}: falling back to file-system consistency\n`).join("");
  return { exitCode: 0, output: `${warn}[snapshotgroup="${group.SnapshotGroupId}"][message="Finish whole Processes of Snapshot successfully"]\n` };
}

function words_unparseable(e: Error): PluginRun {
  return fail(2, `cannot parse the command line: ${e.message}`);
}

function trustsEcs(doc: string): boolean {
  try {
    const d = JSON.parse(doc);
    return (d.Statement ?? []).some((s: any) => s.Effect === "Allow" && [s.Principal?.Service].flat().includes("ecs.aliyuncs.com"));
  } catch {
    return false;
  }
}

function allowsSnapshots(doc: string | undefined): boolean {
  if (!doc) return false;
  try {
    const d = JSON.parse(doc);
    return (d.Statement ?? []).some((s: any) => s.Effect === "Allow" && [s.Action].flat().some((a: string) => SNAPSHOT_ACTIONS.test(a)));
  } catch {
    return false;
  }
}
