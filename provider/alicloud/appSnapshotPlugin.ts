// The app-snapshot plugin that Cloud Assistant runs on the instance (`acs-plugin-manager --exec --plugin
// app-snapshot-plugin`, `app-snapshot-plugin-win` on Windows): its command line, its exit codes and its
// output. Pure functions: unit-tested apart from any cloud.

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

/**
 * Refused for Windows at check time: what cmd.exe interprets even inside quotes, and the comma, which
 * the plugin's parameter list would split on once cmd has stripped the quotes.
 */
export const CMD_UNSAFE = /["%^&|<>!,\r\n]/;
/** Control characters break the plugin's own parsing on either OS. */
export const CONTROL = /[\x00-\x1f\x7f]/;

/** A double-quoted plugin value: backslash and double quote escaped. */
function quote(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The `-Key=Value,…` list, in the plugin's own parameter names (note the cloud's `Rentation`). */
export function pluginParams(o: PluginOptions): string {
  const items: [string, string | number | boolean | undefined][] = [
    ["RamRoleName", o.ramRoleName],
    ["Name", o.name],
    ["Description", o.description],
    ["InstantAccess", o.instantAccess],
    ["InstantAccessRentationDays", o.instantAccess ? o.instantAccessRetentionDays : undefined],
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
  return items
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `-${k}=${typeof v === "string" ? quote(v) : String(v)}`)
    .join(",");
}

/**
 * The command for RunCommand. Linux: the --params list single-quoted for sh (a `'` inside becomes
 * `'\''`), so no `$`, backtick or space in a name or description is ever interpreted. Windows: cmd has
 * no literal quoting, so unsafe characters are refused at check (see CMD_UNSAFE) and the list is passed
 * as one argument.
 */
export function pluginCommand(o: PluginOptions): { type: "RunShellScript" | "RunBatScript"; content: string } {
  const params = pluginParams(o);
  if (o.osType === "windows") {
    return { type: "RunBatScript", content: `acs-plugin-manager --exec --plugin app-snapshot-plugin-win --params=${params}` };
  }
  return { type: "RunShellScript", content: `acs-plugin-manager --exec --plugin app-snapshot-plugin --params='${params.replace(/'/g, "'\\''")}'` };
}

/** Every documented exit code: what went wrong and what to do. */
export const EXIT_CODES: Record<number, { what: string; todo: string }> = {
  1: { what: "a precondition failed (disk category, snapshot group name, network, no RAM role on the instance, or an unsupported OS)", todo: "attach the RAM role (SnapshotRole with this instanceId), use ESSD disks with ext3/ext4/xfs/NTFS and no network or shared file systems, and a name of 2-128 characters" },
  2: { what: "the plugin's --params were invalid", todo: "check the inputs (name, description, paths, timeouts); this is a bug in pulumi-recovery if they passed check: report it" },
  3: { what: "there is no ESSD disk, or the RAM role lacks snapshot permissions", todo: "use ESSD disks, and attach the least-privilege snapshot policy (SnapshotRole) to the role" },
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
  16: { what: "the previous snapshot is still being created (one taken without instant access blocks the next)", todo: "wait for it to finish, then retry; with instantAccess the next snapshot need not wait" },
  255: { what: "an unknown error", todo: "read the plugin output below and the Cloud Assistant logs on the instance" },
};

export function explainExitCode(code: number): string {
  const e = EXIT_CODES[code] ?? EXIT_CODES[255];
  return `the app-snapshot plugin exited with ${code}: ${e.what}. What to do: ${e.todo}`;
}

export interface PluginOutput {
  snapshotGroupId?: string;
  message?: string;
  /** Lines the plugin flagged ([WARN]/[ERROR]), e.g. why it fell back to file-system consistency. */
  warnings: string[];
}

/** Parses the plugin's output (base64 as DescribeInvocationResults returns it by default). */
export function parsePluginOutput(output: string, encoding: "Base64" | "PlainText" = "Base64"): PluginOutput {
  const text = encoding === "Base64" ? Buffer.from(output, "base64").toString("utf8") : output;
  const group = /snapshotgroup="(ssg-[A-Za-z0-9]+)"/.exec(text)?.[1];
  const message = /message="([^"]*)"/.exec(text)?.[1];
  const warnings = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\[(WARN|ERROR)\]/.test(l));
  return { snapshotGroupId: group, message, warnings };
}
