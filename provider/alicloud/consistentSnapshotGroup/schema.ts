// ConsistentSnapshotGroup inputs: every rule the cloud, the plugin and the way to it would enforce,
// checked at preview (check), before any call.
import { z } from "zod";
import { timeoutsSchema } from "../../core/check";
import { carryProblem, CONTROL } from "../appSnapshotPlugin";

const absPath = (field: string) =>
  z
    .string()
    .regex(/^\/[^\0]*$/, `${field} must be an absolute path such as /root/prescript.sh`)
    .refine((s) => !CONTROL.test(s), `${field} must not contain control characters`);
const whole = (field: string, min: number, max: number, unit = "seconds") =>
  z.number().int(`${field} is a whole number of ${unit}`).min(min, `${field} is at least ${min}`).max(max, `${field} is at most ${max}`);

export const consistentSnapshotGroupSchema = z
  .object({
    instanceId: z.string({ message: "instanceId is required" }).regex(/^i-[\w-]+$/, 'instanceId must be an instance id such as "i-abc123"'),
    osType: z.enum(["linux", "windows"], { message: 'osType is "linux" or "windows"' }).default("linux"),
    ramRoleName: z.string({ message: "ramRoleName is required: the RAM role attached to the instance (see SnapshotRole)" }).regex(/^[A-Za-z0-9.-]{1,64}$/, "ramRoleName takes 1-64 letters, digits, '.' or '-'"),
    // The cloud's snapshot-group name rule (CreateSnapshotGroupRequest.name): the plugin exits 1 on anything else.
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._:-]{1,127}$/, "name is 2-128 characters, starts with a letter, and takes only letters, digits, '.', '_', '-' and ':'")
      .optional(),
    // CreateSnapshotGroupRequest.description: 2-256 characters, not starting with http:// or https://.
    description: z
      .string()
      .min(2, "description takes 2-256 characters")
      .max(256, "description takes 2-256 characters")
      .refine((s) => !/^https?:\/\//i.test(s), "description must not start with http:// or https://")
      .optional(),
    // DiskId.N / ExcludeDiskId.N take 1-128 disks.
    excludeDiskIds: z.array(z.string().regex(/^d-[\w-]+$/, 'excludeDiskIds must be disk ids such as "d-abc123"')).max(128, "excludeDiskIds takes at most 128 disks").optional(),
    /** Deprecated by the cloud: accepted and passed on, with a warning (see the handler's check). */
    instantAccess: z.boolean().optional(),
    instantAccessRetentionDays: whole("instantAccessRetentionDays", 1, 65535, "days").optional(),
    enableFsFreeze: z.boolean().optional(),
    preScriptPath: absPath("preScriptPath").optional(),
    postScriptPath: absPath("postScriptPath").optional(),
    freezeTimeoutSeconds: whole("freezeTimeoutSeconds", 1, 3600).optional(),
    scriptTimeoutSeconds: whole("scriptTimeoutSeconds", 1, 86400).optional(),
    enableWriters: z.boolean().optional(),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-hangzhou"').optional(),
    timeouts: timeoutsSchema.optional(),
    // Bookkeeping set by the class and by check (never compared by diff).
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if ((v.preScriptPath === undefined) !== (v.postScriptPath === undefined))
      issue(v.preScriptPath === undefined ? "preScriptPath" : "postScriptPath", "preScriptPath and postScriptPath go together: set both or neither");
    if (v.osType === "windows") {
      for (const k of ["enableFsFreeze", "preScriptPath", "postScriptPath", "freezeTimeoutSeconds", "scriptTimeoutSeconds"] as const)
        if (v[k] !== undefined) issue(k, `${k} applies to Linux only (on Windows, VSS writers freeze the applications: use enableWriters)`);
    } else if (v.enableWriters !== undefined) {
      issue("enableWriters", "enableWriters applies to Windows only (on Linux, use enableFsFreeze and the pre/post scripts)");
    }
    // Whatever reaches the plugin through the shell and acs-plugin-manager must arrive intact (appSnapshotPlugin.ts).
    for (const k of ["description", "preScriptPath", "postScriptPath"] as const) {
      const problem = v[k] === undefined ? undefined : carryProblem(v[k]!, v.osType);
      if (problem) issue(k, `${k} ${problem}`);
    }
  });

export type ConsistentSnapshotGroupInputs = z.infer<typeof consistentSnapshotGroupSchema>;
export const INPUT_KEYS = Object.keys(consistentSnapshotGroupSchema.shape);
/** A snapshot group is immutable: every input change but `timeouts` is a new group. */
export const REPLACE_KEYS = INPUT_KEYS.filter((k) => k !== "timeouts" && !k.startsWith("__"));
