// The app-snapshot plugin that Cloud Assistant runs on the instance (`acs-plugin-manager --exec --plugin
// app-snapshot-plugin`, `app-snapshot-plugin-win` on Windows): its command line, its exit codes and its
// output. Pure functions: unit-tested apart from any cloud.
//
// How a value reaches the plugin (the agent's source, aliyun/aliyun_assist_client v2.x.3.317-578,
// agent/pluginmanager/acspluginmanager/option.go SplitArgs and the vendored github.com/google/shlex):
// acs-plugin-manager replaces every occurrence of its separator (default ",") in --params with a space —
// quotes do not protect it — and then splits shell-style with shlex. So we
//   1. make the plugin's argument list ourselves: one `-Key=value` word per parameter, each quoted for
//      shlex (shlexQuote), joined by spaces — shlex gives back exactly these words;
//   2. when a value holds a "," (a description, the disk list), add `--separator " "`: replacing a space
//      by a space changes nothing, so the string reaches shlex as we wrote it. That is --paramsV2's
//      behaviour, but an agent that does not know a flag ignores it (main.go: EnableUnknownFlag), and a
//      missing --paramsV2 would drop every parameter where a missing --separator only touches commas;
//      without a comma the command is the same on every agent version;
//   3. quote that string for the shell of the command: sh single quotes on Linux; on Windows, for the Go
//      program's own command-line splitting (os/exec_windows.go readNextArg) and then for cmd.exe, which
//      reads the line first (%% for %, ^ before & | < > ^ ( ) outside its own quotes).
// What cannot be carried is refused at preview (carryProblem): control characters anywhere, and on
// Windows anything but printable ASCII (the batch file's code page is not known).

export interface PluginOptions {
  osType: "linux" | "windows";
  ramRoleName: string;
  name?: string;
  description?: string;
  excludeDiskIds?: string[];
  instantAccess?: boolean;
  instantAccessRetentionDays?: number;
  enableFsFreeze?: boolean;
  preScriptPath?: string;
  postScriptPath?: string;
  freezeTimeoutSeconds?: number;
  scriptTimeoutSeconds?: number;
  enableWriters?: boolean;
}

/** Control characters: a newline would end the command line, and shlex splits on tabs and CRs. */
export const CONTROL = /[\x00-\x1f\x7f]/;
/** Windows: printable ASCII only (cmd.exe reads the batch file in a code page we cannot know). */
const WINDOWS_SAFE = /^[\x20-\x7e]*$/;

/** Why a text value cannot reach the plugin intact on this OS; undefined when it can. */
export function carryProblem(value: string, osType: "linux" | "windows"): string | undefined {
  if (CONTROL.test(value)) return "must not contain control characters (newlines, tabs)";
  if (osType === "windows" && !WINDOWS_SAFE.test(value)) return "takes only printable ASCII characters on Windows (cmd.exe reads the command in a code page that is not known)";
  return undefined;
}

/** The plugin's own argument list: `-Key=value` words in its parameter names (note the cloud's `Rentation`). */
export function pluginArgs(o: PluginOptions): string[] {
  const items: [string, string | number | boolean | undefined][] = [
    ["RamRoleName", o.ramRoleName],
    ["Name", o.name],
    ["Description", o.description],
    // Deprecated by the cloud (ESSD snapshots are instantly available), still passed when asked for.
    ["InstantAccess", o.instantAccess],
    ["InstantAccessRentationDays", o.instantAccessRetentionDays],
    ["ExcludeDiskId", o.excludeDiskIds?.length ? o.excludeDiskIds.join(",") : undefined],
  ];
  if (o.osType === "linux") {
    items.push(
      ["EnableFsFreeze", o.enableFsFreeze ?? true],
      ["TimeoutInSeconds", o.freezeTimeoutSeconds],
      ["PreScriptPath", o.preScriptPath],
      ["PostScriptPath", o.postScriptPath],
      ["ScriptTimeoutInSeconds", o.scriptTimeoutSeconds],
    );
  } else {
    items.push(["EnableWriters", o.enableWriters ?? true]);
  }
  return items.filter(([, v]) => v !== undefined).map(([k, v]) => `-${k}=${String(v)}`);
}

/**
 * One word for google/shlex, in the quotes that read best inside the shell's own: in "…" (Linux, inside sh
 * single quotes) a backslash escapes any character, so `\` and `"` get one; in '…' (Windows, inside Go's
 * double quotes) everything is literal and a `'` is written `'\''` (close, an escaped quote, reopen).
 */
export function shlexQuote(word: string, style: "double" | "single"): string {
  return style === "double" ? `"${word.replace(/[\\"]/g, "\\$&")}"` : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The --params value and whether it needs `--separator " "` (a comma in it). */
export function paramsValue(args: string[], style: "double" | "single"): { params: string; separator: boolean } {
  const params = args.map((a) => shlexQuote(a, style)).join(" ");
  return { params, separator: params.includes(",") };
}

/** A word for sh: single-quoted. */
function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A word for a Go program's Windows command line (os/exec_windows.go readNextArg), double-quoted. */
export function goWindowsQuote(word: string): string {
  let out = '"';
  let slashes = 0;
  for (const c of word) {
    if (c === "\\") {
      slashes++;
      continue;
    }
    // Backslashes before a quote are doubled, and the quote escaped; elsewhere they are literal.
    if (c === '"') out += "\\".repeat(slashes * 2 + 1) + '"';
    else out += "\\".repeat(slashes) + c;
    slashes = 0;
  }
  return `${out}${"\\".repeat(slashes * 2)}"`;
}

/**
 * The text cmd.exe must read in a batch file to hand `text` on unchanged: `%` doubled; outside cmd's own
 * quotes (every `"` toggles them) `^` before `& | < > ^ ( )`.
 */
export function cmdEscape(text: string): string {
  let out = "";
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === "%") out += "%%";
    else if (!quoted && "&|<>^()".includes(c)) out += `^${c}`;
    else out += c;
  }
  return out;
}

/** The command for RunCommand, its Type, and the argument list the plugin is meant to receive. */
export function pluginCommand(o: PluginOptions): { type: "RunShellScript" | "RunBatScript"; content: string; args: string[] } {
  const args = pluginArgs(o);
  const { params, separator } = paramsValue(args, o.osType === "windows" ? "single" : "double");
  if (o.osType === "windows") {
    const sep = separator ? ` --separator ${goWindowsQuote(" ")}` : "";
    return { type: "RunBatScript", args, content: `acs-plugin-manager --exec --plugin app-snapshot-plugin-win${sep} --params ${cmdEscape(goWindowsQuote(params))}` };
  }
  const sep = separator ? ` --separator ${shQuote(" ")}` : "";
  return { type: "RunShellScript", args, content: `acs-plugin-manager --exec --plugin app-snapshot-plugin${sep} --params ${shQuote(params)}` };
}

/**
 * The plugin's exit codes as the product documentation lists them (no other source confirms them:
 * unknown codes read as 255): what went wrong and what to do.
 */
export const EXIT_CODES: Record<number, { what: string; todo: string }> = {
  1: { what: "a precondition failed (disk category, snapshot group name, network, no RAM role on the instance, or an unsupported OS)", todo: "attach the RAM role (SnapshotRole with this instanceId), use ESSD-family disks (ESSD, ESSD AutoPL, ESSD Entry, regional ESSD) with ext3/ext4/xfs/NTFS and no network or shared file systems, and a name of 2-128 characters" },
  2: { what: "the plugin's parameters were invalid", todo: "check the inputs (name, description, paths, timeouts); this is a bug in pulumi-recovery if they passed check: report it" },
  3: { what: "there is no ESSD-family disk, or the RAM role lacks snapshot permissions", todo: "use ESSD-family disks, and attach the least-privilege snapshot policy (SnapshotRole) to the role" },
  4: { what: "creating the snapshot group failed", todo: "check the account's snapshot service status and quota, then retry" },
  5: { what: "the snapshot group ended in a wrong status", todo: "look at the group in the console (DescribeSnapshotGroups) and retry" },
  6: { what: "the snapshot group timed out", todo: "retry in a quieter period, or raise freezeTimeoutSeconds" },
  7: { what: "a disk snapshot ended in a wrong status", todo: "look at the snapshots of the group and retry" },
  8: { what: "tagging the snapshots failed", todo: "allow ecs:TagResources in the role's policy (SnapshotRole does)" },
  9: { what: "the pre-script (freeze) failed", todo: "run the pre-script by hand on the instance; it must be owned by root with mode 700 and exit 0" },
  10: { what: "the post-script (thaw) failed", todo: "run the post-script by hand on the instance; it must be owned by root with mode 700 and exit 0 — and check the application is running again" },
  11: { what: "freezing the file system I/O failed", todo: "check that no file system is mounted twice and that fsfreeze works on the instance" },
  12: { what: "thawing the file system I/O failed", todo: "check the instance at once (I/O may still be frozen: run `fsfreeze -u` on each mount)" },
  13: { what: "the RAM role is not authorised (it is not the instance's role, or ECS cannot assume it)", todo: "pass the role attached to the instance, whose trust policy allows ecs.aliyuncs.com (SnapshotRole)" },
  14: { what: "the snapshot quota is exceeded", todo: "delete old snapshots or ask for a higher quota" },
  15: { what: "a snapshot ended in a wrong status", todo: "look at the snapshots of the group and retry" },
  16: { what: "the previous snapshot is still being created", todo: "wait for it to finish, then retry" },
  255: { what: "an unknown error", todo: "read the plugin output below and the Cloud Assistant logs on the instance" },
};

/**
 * acs-plugin-manager's own exit codes (the agent's acspluginmanager/errcode.go): the plugin never ran.
 * Each says what failed and what to do.
 */
export const MANAGER_EXIT_CODES: Record<number, { name: string; what: string; todo: string }> = {
  232: { name: "LOCKING_ERR", what: "it could not take the plugin's lock (another run of the plugin holds it)", todo: "wait for the other run to finish, then retry" },
  233: { name: "CHECK_ENDPOINT_FAIL", what: "it found no Cloud Assistant server endpoint to reach", todo: "check the instance's network access to the Cloud Assistant service, then retry" },
  234: { name: "PACKAGE_NOT_FOUND", what: "the plugin package was not found", todo: "check that the plugin exists in this region (acs-plugin-manager --list on the instance); the agent may be too old: update the Cloud Assistant agent" },
  235: { name: "PACKAGE_FORMAT_ERR", what: "the plugin package is not a zip file", todo: "remove the plugin (acs-plugin-manager --remove --plugin app-snapshot-plugin) so it is downloaded again, then retry" },
  236: { name: "UNZIP_ERR", what: "unpacking the plugin package failed", todo: "check free disk space on the instance, remove the plugin so it is downloaded again, then retry" },
  237: { name: "UNMARSHAL_ERR", what: "the plugin's config.json could not be read", todo: "remove the plugin (acs-plugin-manager --remove) so it is downloaded again, then retry" },
  238: { name: "PLUGIN_FORMAT_ERR", what: "the plugin package is incomplete or not for this OS or architecture", todo: "remove the plugin so it is downloaded again; check the instance's OS is one the plugin supports" },
  239: { name: "MD5_CHECK_FAIL", what: "the downloaded plugin package failed its checksum", todo: "retry; if it persists, check what sits between the instance and the download endpoint" },
  240: { name: "DOWNLOAD_FAIL", what: "downloading the plugin package failed (it is downloaded on first use)", todo: "check the instance's network access to the Cloud Assistant download endpoint, then retry" },
  241: { name: "LOAD_INSTALLEDPLUGINS_ERR", what: "its list of installed plugins could not be read", todo: "check the Cloud Assistant plugin directory on the instance (installed_plugins), then retry" },
  242: { name: "DUMP_INSTALLEDPLUGINS_ERR", what: "its list of installed plugins could not be saved", todo: "check free disk space and permissions on the instance, then retry" },
  243: { name: "GET_ONLINE_PACKAGE_INFO_ERR", what: "it could not ask the Cloud Assistant service for the plugin's package", todo: "check the instance's network access to the Cloud Assistant service, then retry" },
  244: { name: "EXECUTABLE_PERMISSION_ERR", what: "it could not make the plugin executable", todo: "check the file system the agent's plugin directory is on (mounted noexec or read-only?), then retry" },
  245: { name: "REMOVE_FILE_ERR", what: "it could not remove a plugin file", todo: "check permissions of the agent's plugin directory, then retry" },
  246: { name: "EXECUTE_FAILED_ERR", what: "it could not start the plugin", todo: "read the output below; check the instance can run the plugin binary" },
  247: { name: "EXECUTE_TIMEOUT_ERR", what: "the plugin ran past its own timeout and was killed", todo: "check the instance (file systems may still be frozen: fsfreeze -u), then retry; raise freezeTimeoutSeconds or scriptTimeoutSeconds if the scripts are slow" },
};

export function explainExitCode(code: number): string {
  const m = MANAGER_EXIT_CODES[code];
  if (m) return `acs-plugin-manager exited with ${code} (${m.name}): ${m.what}; the app-snapshot plugin never ran. What to do: ${m.todo}`;
  const e = EXIT_CODES[code] ?? EXIT_CODES[255];
  return `the app-snapshot plugin exited with ${code}: ${e.what}. What to do: ${e.todo}`;
}

export interface PluginOutput {
  snapshotGroupId?: string;
  /** The success line's message, when there is one. */
  message?: string;
  /** The plugin's own error messages ([level="error"] lines) and acs-plugin-manager's failure line. */
  errors: string[];
  /** Its warnings ([level="warning"]/[level="warn"] lines), e.g. why it fell back to file-system consistency. */
  warnings: string[];
}

/** `[key="value"]` / `[key=value]` fields of one line, in order. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\[(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\]]*))\]/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
  return out;
}

/** acs-plugin-manager's failure line: `<Function> <ERROR_NAME>: <tip>` (errorcode_unix.go errProcess). */
const MANAGER_LINE = /^\w+ ([A-Z][A-Z_]+(?:\.\w+)?): (.*)$/;

/** Parses the plugin's output (base64 as DescribeInvocationResults returns it by default). */
export function parsePluginOutput(output: string, encoding: "Base64" | "PlainText" = "Base64"): PluginOutput {
  const text = encoding === "Base64" ? Buffer.from(output, "base64").toString("utf8") : output;
  const out: PluginOutput = { errors: [], warnings: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = fields(line);
    if (f.snapshotgroup && /^ssg-[A-Za-z0-9]+$/.test(f.snapshotgroup)) {
      out.snapshotGroupId = f.snapshotgroup;
      if (f.message) out.message = f.message;
    }
    const level = f.level?.toLowerCase();
    if (level && f.message !== undefined) {
      if (["error", "fatal", "panic"].includes(level)) out.errors.push(f.message);
      else if (level === "warn" || level === "warning") out.warnings.push(f.message);
    } else {
      const m = MANAGER_LINE.exec(line);
      if (m) out.errors.push(`${m[1]}: ${m[2]}`);
    }
  }
  // A group the run made before failing may be named only in a log line.
  if (!out.snapshotGroupId) out.snapshotGroupId = /\b(ssg-[A-Za-z0-9]+)\b/.exec(text)?.[1];
  return out;
}
