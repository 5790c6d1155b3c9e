// The three OpenStack policies: their input schemas (checked at preview, in our words) and how each is
// recorded on its server as one Nova metadata item, so the runner finds every policy from the cloud
// (a list of servers), never from Pulumi state. Nova's metadata limits (nova api/validation
// parameter_types.py `metadata`: keys ^[a-zA-Z0-9-_:. ]{1,255}$, values at most 255 characters; nova.conf
// [quota] metadata_items, 128 a server by default) are checked at preview: one item per policy, keys
// under `pulumi-recovery:`, values compact JSON.
import { createHash } from "node:crypto";
import { z } from "zod";
import { duration, timeoutsSchema } from "../core/check";
import { parseDuration } from "../core/waiter";
import { minGapMs, parseSchedule, validTimezone, type Schedule } from "./schedule";

export const PREFIX = "pulumi-recovery:";
export const KEYS = {
  /** One per backup type: `pulumi-recovery:backup:<backupType>`. */
  backup: (backupType: string) => `${PREFIX}backup:${backupType}`,
  recovery: `${PREFIX}recovery`,
  suspend: `${PREFIX}suspend`,
} as const;
/** Image properties we add to the backups we make (createBackup `metadata`). */
export const IMAGE_PROPS = { token: `${PREFIX}token`, slot: `${PREFIX}slot` } as const;

export const METADATA_VALUE_MAX = 255;
/** nova.conf [quota] metadata_items default. */
export const METADATA_ITEMS_DEFAULT = 128;
/** Backups are whole-disk images: more often than hourly and createBackup would meet the previous one still uploading (409). */
export const MIN_BACKUP_GAP_MS = 3600_000;
export const ROTATION_MAX = 100;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

const serverId = z.string({ message: "serverId is required: the id of the Nova server (e.g. an openstack.compute.Instance's id)" }).regex(UUID, "serverId must be a Nova server id (a UUID)");
const imageId = (field: string) => z.string().regex(UUID, `${field} must be a Glance image id (a UUID)`);
const timezone = z.string().refine(validTimezone, { message: 'timezone must be an IANA time zone such as "UTC" or "Europe/Berlin"' });
const connection = {
  /** clouds.yaml entry (else stack config openstack:cloud / OS_CLOUD). */
  cloud: z.string().min(1).max(255).optional(),
  region: z.string().min(1).max(255).optional(),
};

/** A schedule input that must parse and fire; `minGapMs` bounds how often. */
function scheduleField(field: string) {
  return z.string({ message: `${field} is required: a duration such as "1d" or a cron expression such as "0 2 * * *"` }).min(1, `${field} is required`);
}

/** Adds the schedule checks (they need the time zone, a sibling field). */
function checkSchedule(ctx: z.RefinementCtx, field: string, text: string | undefined, tz: string, o: { minGapMs?: number } = {}): Schedule | undefined {
  // A time zone that does not exist is the timezone field's failure; the schedule cannot be judged in it
  // (croner throws evaluating a cron expression there).
  if (text === undefined || !validTimezone(tz)) return undefined;
  const s = parseSchedule(text, tz);
  if ("error" in s) {
    ctx.addIssue({ code: "custom", path: [field], message: `${field} ${s.error}` });
    return undefined;
  }
  const gap = minGapMs(s, Date.now());
  if (gap === undefined) {
    ctx.addIssue({ code: "custom", path: [field], message: `${field} never fires (no date matches it${s.kind === "cron" ? `, e.g. a 31st of February` : ""}): the policy would never act` });
    return undefined;
  }
  if (o.minGapMs && gap < o.minGapMs) {
    ctx.addIssue({ code: "custom", path: [field], message: `${field} fires more often than once an hour; a Nova backup copies the whole disk, and the next one would find it still uploading` });
  }
  return s;
}

// ---- ServerBackupPolicy ----

export const backupPolicySchema = z
  .object({
    serverId,
    schedule: scheduleField("schedule"),
    timezone: timezone.default("UTC"),
    backupType: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "backupType must be 1-64 letters, digits, '_' or '-' (it names the backup's rotation group)").default("scheduled"),
    rotation: z.number({ message: "rotation must be a number" }).int("rotation must be a whole number").min(1, "rotation must be at least 1 (Nova deletes every backup of the type, the new one too, with 0)").max(ROTATION_MAX, `rotation must be at most ${ROTATION_MAX} (every backup is a Glance image that counts against the image quota)`).default(7),
    namePrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, "namePrefix must start with a letter or digit and have at most 128 letters, digits, spaces, '.', '_' or '-'").default("backup"),
    deleteBackupsOnDestroy: z.boolean().default(false),
    ...connection,
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    checkSchedule(ctx, "schedule", v.schedule, v.timezone, { minGapMs: MIN_BACKUP_GAP_MS });
    const why = fitsMetadata(encodePolicy(backupPolicyOf(v)), "namePrefix or schedule");
    if (why) ctx.addIssue({ code: "custom", path: ["namePrefix"], message: `namePrefix: ${why}` });
  });

export type BackupPolicyInputs = z.infer<typeof backupPolicySchema>;

/** What the runner needs of a backup policy (the metadata item's value). */
export interface BackupPolicy {
  schedule: string;
  tz: string;
  type: string;
  rotation: number;
  prefix: string;
  /** Hash of the declaring resource's identity: a second resource declaring the same item is refused. */
  by: string;
}

export function backupPolicyOf(i: BackupPolicyInputs): BackupPolicy {
  return { schedule: i.schedule, tz: i.timezone, type: i.backupType, rotation: i.rotation, prefix: i.namePrefix, by: ownerOf(i.__identity) };
}

// ---- ServerRecoveryPolicy ----

export const RECOVERY_ACTIONS = ["rescue", "rebuild-from-backup"] as const;

export const healthProbeSchema = z
  .object({
    http: z.string().regex(/^https?:\/\/[^\s]+$/, 'healthProbe.http must be an http(s) URL; "{ip}" stands for the server\'s fixed IP, e.g. "http://{ip}:8080/healthz"').max(160, "healthProbe.http takes at most 160 characters (it is stored in the server's metadata)").optional(),
    tcp: z.string().regex(/^(\{ip\}|[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/, 'healthProbe.tcp must be host:port; "{ip}" stands for the server\'s fixed IP, e.g. "{ip}:22"').optional(),
    failuresBeforeAction: z.number().int("healthProbe.failuresBeforeAction must be a whole number").min(1, "healthProbe.failuresBeforeAction must be at least 1").max(20, "healthProbe.failuresBeforeAction must be at most 20").default(3),
    timeout: duration("healthProbe.timeout").refine((t) => (parseDuration(t) ?? 0) >= 1000 && (parseDuration(t) ?? 0) <= 60_000, "healthProbe.timeout must be from 1s to 60s").default("5s"),
  })
  .strict()
  .refine((p) => (p.http === undefined) !== (p.tcp === undefined), { message: "healthProbe takes exactly one of http or tcp" });

export const recoveryPolicySchema = z
  .object({
    serverId,
    action: z.enum(RECOVERY_ACTIONS, { message: `action must be one of ${RECOVERY_ACTIONS.join(", ")}` }),
    rescueImageId: imageId("rescueImageId").optional(),
    onError: z.boolean().default(true),
    expectRunning: z.boolean().default(false),
    healthProbe: healthProbeSchema.optional(),
    backupType: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "backupType must be 1-64 letters, digits, '_' or '-'").optional(),
    cooldown: duration("cooldown", { min: "1m" }).default("30m"),
    ...connection,
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.action === "rescue" && !v.rescueImageId) ctx.addIssue({ code: "custom", path: ["rescueImageId"], message: "rescueImageId is required with action rescue: the image the server boots from while its own disk is attached as the second disk" });
    if (v.action !== "rescue" && v.rescueImageId) ctx.addIssue({ code: "custom", path: ["rescueImageId"], message: "rescueImageId applies only with action rescue" });
    if (v.action !== "rebuild-from-backup" && v.backupType) ctx.addIssue({ code: "custom", path: ["backupType"], message: "backupType applies only with action rebuild-from-backup (the backups to rebuild from)" });
    if (!v.onError && !v.expectRunning && !v.healthProbe) ctx.addIssue({ code: "custom", path: ["onError"], message: "the policy would never act: keep onError, set expectRunning, or declare a healthProbe" });
    const why = fitsMetadata(encodePolicy(recoveryPolicyOf(v)), "healthProbe.http");
    if (why) ctx.addIssue({ code: "custom", path: ["healthProbe"], message: `healthProbe: ${why}` });
  });

export type RecoveryPolicyInputs = z.infer<typeof recoveryPolicySchema>;

export interface RecoveryPolicy {
  action: (typeof RECOVERY_ACTIONS)[number];
  image?: string;
  onError: boolean;
  expectRunning: boolean;
  probe?: { http?: string; tcp?: string; fails: number; timeout: string };
  backupType?: string;
  cooldown: string;
  by: string;
}

export function recoveryPolicyOf(i: RecoveryPolicyInputs): RecoveryPolicy {
  const p = i.healthProbe;
  return {
    action: i.action,
    image: i.rescueImageId,
    onError: i.onError,
    expectRunning: i.expectRunning,
    probe: p ? { http: p.http, tcp: p.tcp, fails: p.failuresBeforeAction, timeout: p.timeout } : undefined,
    backupType: i.backupType,
    cooldown: i.cooldown,
    by: ownerOf(i.__identity),
  };
}

// ---- ServerSuspendSchedule ----

export const SUSPEND_MODES = ["suspend", "pause"] as const;

export const suspendScheduleSchema = z
  .object({
    serverId,
    mode: z.enum(SUSPEND_MODES, { message: `mode must be one of ${SUSPEND_MODES.join(", ")} (suspend writes the memory to disk, pause keeps the state in RAM)` }).default("suspend"),
    suspendAt: z.string({ message: 'suspendAt is required: a cron expression such as "0 20 * * 1-5"' }),
    resumeAt: z.string({ message: 'resumeAt is required: a cron expression such as "0 7 * * 1-5"' }),
    timezone: timezone.default("UTC"),
    ...connection,
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const s = checkSchedule(ctx, "suspendAt", v.suspendAt, v.timezone);
    const r = checkSchedule(ctx, "resumeAt", v.resumeAt, v.timezone);
    for (const [field, sch] of [["suspendAt", s], ["resumeAt", r]] as const) if (sch?.kind === "every") ctx.addIssue({ code: "custom", path: [field], message: `${field} must be a cron expression (a time of day, e.g. "0 20 * * 1-5"), not a duration` });
    if (s && r && v.suspendAt.trim() === v.resumeAt.trim()) ctx.addIssue({ code: "custom", path: ["resumeAt"], message: "resumeAt must differ from suspendAt" });
    const why = fitsMetadata(encodePolicy(suspendPolicyOf(v)), "suspendAt or resumeAt");
    if (why) ctx.addIssue({ code: "custom", path: ["suspendAt"], message: `suspendAt: ${why}` });
  });

export type SuspendScheduleInputs = z.infer<typeof suspendScheduleSchema>;

export interface SuspendPolicy {
  mode: (typeof SUSPEND_MODES)[number];
  suspend: string;
  resume: string;
  tz: string;
  by: string;
}

export function suspendPolicyOf(i: SuspendScheduleInputs): SuspendPolicy {
  return { mode: i.mode, suspend: i.suspendAt, resume: i.resumeAt, tz: i.timezone, by: ownerOf(i.__identity) };
}

// ---- the metadata items ----

/** 12 hex characters of the declaring resource's identity (project/stack/name): not the name itself. */
export function ownerOf(identity: string | undefined): string {
  return createHash("sha256").update(identity ?? "").digest("hex").slice(0, 12);
}

export function encodePolicy(p: BackupPolicy | RecoveryPolicy | SuspendPolicy): string {
  return JSON.stringify(p, (_k, v) => (v === undefined ? undefined : v));
}

/** Throws when the value does not fit Nova's 255 characters, naming what to shorten. */
export function fitsMetadata(value: string, longest: string): string | undefined {
  return value.length > METADATA_VALUE_MAX ? `the policy takes ${value.length} characters in the server's metadata, more than Nova's ${METADATA_VALUE_MAX}: shorten ${longest}` : undefined;
}

const backupDecoded = z.object({ schedule: z.string(), tz: z.string(), type: z.string(), rotation: z.number().int().min(1), prefix: z.string(), by: z.string() });
const recoveryDecoded = z.object({
  action: z.enum(RECOVERY_ACTIONS),
  image: z.string().optional(),
  onError: z.boolean(),
  expectRunning: z.boolean(),
  probe: z.object({ http: z.string().optional(), tcp: z.string().optional(), fails: z.number().int().min(1), timeout: z.string() }).optional(),
  backupType: z.string().optional(),
  cooldown: z.string(),
  by: z.string(),
});
const suspendDecoded = z.object({ mode: z.enum(SUSPEND_MODES), suspend: z.string(), resume: z.string(), tz: z.string(), by: z.string() });

function decode<T>(schema: z.ZodType<T>, raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export const decodeBackup = (raw: string | undefined) => decode<BackupPolicy>(backupDecoded, raw);
export const decodeRecovery = (raw: string | undefined) => decode<RecoveryPolicy>(recoveryDecoded, raw);
export const decodeSuspend = (raw: string | undefined) => decode<SuspendPolicy>(suspendDecoded, raw);

/** Every policy a server's metadata declares (unreadable items are reported, not acted on). */
export interface ServerPolicies {
  backups: BackupPolicy[];
  recovery?: RecoveryPolicy;
  suspend?: SuspendPolicy;
  /** Our keys whose value this version cannot read. */
  unreadable: string[];
}

export function policiesOf(metadata: Record<string, string>): ServerPolicies {
  const out: ServerPolicies = { backups: [], unreadable: [] };
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith(PREFIX)) continue;
    if (key.startsWith(`${PREFIX}backup:`)) {
      const b = decodeBackup(value);
      if (b && KEYS.backup(b.type) === key) out.backups.push(b);
      else out.unreadable.push(key);
    } else if (key === KEYS.recovery) {
      out.recovery = decodeRecovery(value);
      if (!out.recovery) out.unreadable.push(key);
    } else if (key === KEYS.suspend) {
      out.suspend = decodeSuspend(value);
      if (!out.suspend) out.unreadable.push(key);
    } else {
      out.unreadable.push(key);
    }
  }
  out.backups.sort((a, b) => a.type.localeCompare(b.type));
  return out;
}
