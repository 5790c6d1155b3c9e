// SpotInstance: a Volcengine ECS spot instance (RunInstances with SpotStrategy), its lifecycle and
// its spot-interruption status.
import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import { pollInterval, volcengineConnection } from "../config";
import { checkInputs, timeoutsSchema } from "../core/check";
import { CloudError, describeFailure } from "../core/errors";
import { diffInputs, partialResource, pickInputs, type HandlerContext, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { parseDuration, sleep } from "../core/waiter";
import { EcsClient } from "./client";
import { findInterruptions } from "./events";
import { findInstance, listInstances, tagMap, waitInstanceGone, waitInstanceRunning, type Instance } from "./instances";
import { RECOVERY_TAGS, recoverySchema, recoveryTags } from "./recoveryPolicy";

const VOLUME_TYPES = ["ESSD_PL0", "ESSD_PL1", "ESSD_PL2", "ESSD_PL3", "ESSD_FlexPL", "PTSSD"] as const;
const TAG_KEY = /^(?!volc:|sys:)[^\s][\s\S]{0,127}$/;

/** Three of: upper case, lower case, digit, special; 8–30 characters (Volcengine's password rule). */
function strongPassword(p: string): boolean {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[()`~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]/].filter((r) => r.test(p)).length;
  return p.length >= 8 && p.length <= 30 && classes >= 3;
}

export const spotInstanceSchema = z
  .object({
    zoneId: z.string({ message: "zoneId is required, e.g. \"cn-beijing-a\"" }).regex(/^[a-z]+-[a-z0-9]+-[a-z]$/, 'zoneId must look like "cn-beijing-a"'),
    imageId: z.string({ message: "imageId is required (a public or custom image id)" }).min(1, "imageId must not be empty"),
    instanceTypeId: z.string({ message: 'instanceTypeId is required, e.g. "ecs.g3il.large"' }).regex(/^ecs\.[\w-]+\.[\w-]+$/, 'instanceTypeId must look like "ecs.g3il.large"'),
    subnetId: z.string({ message: "subnetId is required (the subnet the primary network interface joins)" }).min(1),
    securityGroupIds: z
      .array(z.string().min(1), { message: "securityGroupIds is required: a list of 1 to 5 security group ids" })
      .min(1, "securityGroupIds needs at least one security group id")
      .max(5, "securityGroupIds takes at most 5 security groups"),
    spotStrategy: z.enum(["SpotAsPriceGo", "SpotWithPriceLimit"], { message: 'spotStrategy must be "SpotAsPriceGo" or "SpotWithPriceLimit"' }).default("SpotAsPriceGo"),
    spotPriceLimit: z
      .number({ message: "spotPriceLimit must be a number (the hourly price cap)" })
      .positive("spotPriceLimit must be greater than 0")
      .refine((n) => Math.round(n * 1000) === n * 1000, "spotPriceLimit takes at most 3 decimal places")
      .optional(),
    instanceName: z.string().min(1).max(128, "instanceName is at most 128 characters").optional(),
    hostname: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/, "hostname takes letters, digits, '.' and '-', at most 63 characters, starting with a letter or digit").optional(),
    description: z.string().max(255, "description is at most 255 characters").optional(),
    systemVolume: z
      .object({
        volumeType: z.enum(VOLUME_TYPES, { message: `systemVolume.volumeType must be one of ${VOLUME_TYPES.join(", ")}` }).default("ESSD_PL0"),
        size: z.number().int().min(20, "systemVolume.size is at least 20 (GiB)").max(2048, "systemVolume.size is at most 2048 (GiB)").default(40),
      })
      .strict()
      .default({ volumeType: "ESSD_PL0", size: 40 }),
    dataVolumes: z
      .array(
        z
          .object({
            volumeType: z.enum(VOLUME_TYPES, { message: `dataVolumes[].volumeType must be one of ${VOLUME_TYPES.join(", ")}` }).default("ESSD_PL0"),
            size: z.number().int().min(10, "dataVolumes[].size is at least 10 (GiB)").max(32768, "dataVolumes[].size is at most 32768 (GiB)"),
            deleteWithInstance: z.boolean().default(true),
            snapshotId: z.string().optional(),
          })
          .strict(),
      )
      .max(15, "dataVolumes takes at most 15 volumes")
      .optional(),
    keyPairName: z.string().min(1).optional(),
    password: z
      .string()
      .refine(strongPassword, "password must be 8–30 characters with three of: upper case, lower case, digits, special characters")
      .optional(),
    userData: z.string().refine((s) => Buffer.byteLength(Buffer.from(s).toString("base64")) <= 16 * 1024, "userData is at most 16 KiB after base64 encoding").optional(),
    tags: z
      .record(z.string().regex(TAG_KEY, "tag keys are 1–128 characters and must not start with volc: or sys:"), z.string().max(256, "tag values are at most 256 characters"))
      .refine((t) => Object.keys(t).length <= 20, "tags takes at most 20 tags")
      .refine((t) => !Object.keys(t).some((k) => k.startsWith("pulumi-recovery:")), "tag keys starting with pulumi-recovery: are reserved for the recovery policy")
      .optional(),
    region: z.string().min(1).optional(),
    /** Bring an existing instance under management instead of launching one (`pulumi import` cannot). */
    adoptInstanceId: z.string().regex(/^i-[\w-]+$/, 'adoptInstanceId must be an instance id such as "i-abc123"').optional(),
    recovery: recoverySchema.optional(),
    timeouts: timeoutsSchema.optional(),
    // Bookkeeping set by the SpotInstance class and by check (never compared by diff).
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.spotStrategy === "SpotWithPriceLimit" && v.spotPriceLimit === undefined)
      ctx.addIssue({ code: "custom", path: ["spotPriceLimit"], message: 'spotPriceLimit is required when spotStrategy is "SpotWithPriceLimit"' });
    if (v.spotStrategy === "SpotAsPriceGo" && v.spotPriceLimit !== undefined)
      ctx.addIssue({ code: "custom", path: ["spotPriceLimit"], message: 'spotPriceLimit applies only with spotStrategy "SpotWithPriceLimit": remove it or change spotStrategy' });
    if (v.keyPairName && v.password)
      ctx.addIssue({ code: "custom", path: ["password"], message: "set either keyPairName or password, not both" });
  });

export type SpotInstanceInputs = z.infer<typeof spotInstanceSchema>;
const INPUT_KEYS = Object.keys(spotInstanceSchema.shape);
/** What the API can change on a running instance; everything else replaces it. */
const IN_PLACE = ["instanceName", "description", "password", "tags", "recovery", "timeouts"];
const REPLACE_KEYS = INPUT_KEYS.filter((k) => !IN_PLACE.includes(k) && !k.startsWith("__"));

const DEFAULT_CREATE_MS = 10 * 60_000;
const DEFAULT_DELETE_MS = 10 * 60_000;

function label(inputs: { instanceName?: string }, id?: string): string {
  return `SpotInstance ${inputs.instanceName ?? id ?? ""}`.trim();
}

function clientFor(inputs: { region?: string }, ctx: HandlerContext): EcsClient {
  return new EcsClient(volcengineConnection(ctx.config, inputs.region));
}

/**
 * The ClientToken base: the resource's identity and its non-secret inputs. The same create retried —
 * within one call or in a later `pulumi up` after a crash — sends the same token, so the cloud answers
 * with the instance it already launched. Secrets (password, userData) are left out of the hash.
 */
export function clientTokenBase(inputs: SpotInstanceInputs): string {
  const { password, userData, timeouts, __identity, __tokenSalt, ...rest } = inputs;
  const h = createHash("sha256")
    .update(`${__identity ?? ""}\0${__tokenSalt ?? ""}\0`)
    .update(JSON.stringify(sortKeys(rest)))
    .digest("hex");
  return `pr-${h.slice(0, 40)}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as any)[k])]));
  return v;
}

export function runInstancesParams(inputs: SpotInstanceInputs, clientToken: string) {
  const tags = { ...(inputs.tags ?? {}), ...recoveryTags(inputs.recovery) };
  return {
    ZoneId: inputs.zoneId,
    ImageId: inputs.imageId,
    InstanceTypeId: inputs.instanceTypeId,
    InstanceName: inputs.instanceName,
    HostName: inputs.hostname,
    Description: inputs.description,
    InstanceChargeType: "PostPaid",
    SpotStrategy: inputs.spotStrategy,
    SpotPriceLimit: inputs.spotPriceLimit,
    Count: 1,
    ClientToken: clientToken,
    KeyPairName: inputs.keyPairName,
    Password: inputs.password,
    UserData: inputs.userData === undefined ? undefined : Buffer.from(inputs.userData).toString("base64"),
    NetworkInterfaces: [{ SubnetId: inputs.subnetId, SecurityGroupIds: inputs.securityGroupIds }],
    Volumes: [
      { VolumeType: inputs.systemVolume.volumeType, Size: inputs.systemVolume.size },
      ...(inputs.dataVolumes ?? []).map((v) => ({ VolumeType: v.volumeType, Size: v.size, DeleteWithInstance: v.deleteWithInstance, SnapshotId: v.snapshotId })),
    ],
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Outputs: the inputs (read only sees outputs) plus what the cloud reports. */
async function outputsFor(client: EcsClient, inputs: Record<string, any>, inst: Instance, clientToken?: string) {
  const [interruption] = await findInterruptions(client, [inst.InstanceId]);
  const nic = inst.NetworkInterfaces?.[0];
  return plain({
    ...inputs,
    instanceId: inst.InstanceId,
    status: inst.Status,
    zoneId: inst.ZoneId,
    vpcId: inst.VpcId,
    privateIpAddress: nic?.PrimaryIpAddress,
    // Inputs stay as declared (the cloud reports 0 for "no limit"): overwriting them would show up as
    // a change, and a replacement, in the next diff.
    spotStrategy: inputs.spotStrategy ?? inst.SpotStrategy,
    spotPriceLimit: inputs.spotPriceLimit,
    createdAt: inst.CreatedAt,
    interruptionScheduled: Boolean(interruption),
    interruptionEventId: interruption?.eventId,
    releaseAt: interruption?.releaseAt,
    clientToken: clientToken ?? inputs.clientToken,
  });
}

/** Reflects out-of-band edits of what can be changed in place, so the next diff puts them back. */
function withCloudValues(props: Record<string, any>, inst: Instance): Record<string, any> {
  const cloudTags = tagMap(inst.Tags);
  const userTags = Object.fromEntries(Object.entries(cloudTags).filter(([k]) => !k.startsWith("pulumi-recovery:")));
  return {
    ...props,
    instanceName: inst.InstanceName ?? props.instanceName,
    description: props.description === undefined && !inst.Description ? undefined : inst.Description ?? props.description,
    tags: props.tags === undefined && Object.keys(userTags).length === 0 ? undefined : userTags,
  };
}

async function launch(client: EcsClient, inputs: SpotInstanceInputs): Promise<{ instanceId: string; clientToken: string }> {
  const base = clientTokenBase(inputs);
  // Generation g > 0 only when the token's instance was released since: a drift recreate with unchanged
  // inputs must launch a new instance, not adopt the dead one.
  for (let g = 0; g < 5; g++) {
    const clientToken = `${base}-${g}`;
    const res = await client.call<{ InstanceIds: string[] }>("RunInstances", runInstancesParams(inputs, clientToken));
    const instanceId = res.InstanceIds?.[0];
    if (!instanceId) throw new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InvalidResponse", message: "no InstanceIds in the answer" });
    if (await stillThere(client, instanceId)) return { instanceId, clientToken };
  }
  throw new Error("five ClientToken generations in a row named released instances; run `pulumi up` again");
}

/**
 * Adoption: the instance must exist and match what the program declares about its placement and shape
 * (a mismatch is an error, not a silent replacement); name, description, tags and the recovery policy
 * are then set as declared, exactly as an update would.
 */
async function adopt(client: EcsClient, inputs: SpotInstanceInputs, id: string): Promise<Instance> {
  const inst = await findInstance(client, id);
  if (!inst) throw new Error(`adoptInstanceId ${id}: no such instance in region ${client.region}`);
  const nic = inst.NetworkInterfaces?.[0];
  const mismatches = [
    ["zoneId", inputs.zoneId, inst.ZoneId],
    ["instanceTypeId", inputs.instanceTypeId, inst.InstanceTypeId],
    ["imageId", inputs.imageId, inst.ImageId],
    ["subnetId", inputs.subnetId, nic?.SubnetId],
    ["spotStrategy", inputs.spotStrategy, inst.SpotStrategy],
  ].filter(([, declared, actual]) => actual !== undefined && declared !== actual);
  if (mismatches.length) {
    throw new Error(`adoptInstanceId ${id}: the instance differs from the declared inputs (${mismatches.map(([k, d, a]) => `${k}: declared ${d}, actual ${a}`).join("; ")}); set the inputs to the instance's values`);
  }
  const modify: Record<string, string> = {};
  if (inputs.instanceName && inputs.instanceName !== inst.InstanceName) modify.InstanceName = inputs.instanceName;
  if (inputs.description !== undefined && inputs.description !== inst.Description) modify.Description = inputs.description;
  if (Object.keys(modify).length) await client.call("ModifyInstanceAttribute", { InstanceId: id, ...modify }, { safe: true });
  await syncTags(client, id, tagMap(inst.Tags), { ...(inputs.tags ?? {}), ...recoveryTags(inputs.recovery) });
  return (await findInstance(client, id)) ?? inst;
}

/** A new instance may take a moment to show in DescribeInstances: only a repeated miss means gone. */
async function stillThere(client: EcsClient, instanceId: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    if (await findInstance(client, instanceId)) return true;
    await sleep(pollInterval()?.initialMs ?? 1_000);
  }
  return false;
}

export const spotInstanceHandler: ResourceHandler = {
  async check(olds, news) {
    const { inputs, failures } = checkInputs(spotInstanceSchema, news);
    // olds are the prior inputs: present when the resource is already in state. A create that follows
    // (a replacement, e.g. `up --replace` with unchanged inputs) must not reuse the live instance's
    // ClientToken, so it gets a fresh salt. A first create (olds empty) has none, so a create retried
    // after a crash sends the same token and adopts the instance the crashed run launched.
    if (failures.length === 0 && Object.keys(olds).length > 0) inputs.__tokenSalt = randomUUID();
    return { inputs: { ...inputs, __provider: news.__provider }, failures };
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS });
  },

  async create(props, ctx) {
    const inputs = spotInstanceSchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    const client = clientFor(inputs, ctx);
    if (inputs.adoptInstanceId) {
      try {
        const inst = await adopt(client, inputs, inputs.adoptInstanceId);
        return { id: inst.InstanceId, outs: await outputsFor(client, { ...props, ...inputs }, inst) };
      } catch (err) {
        throw describeFailure(name, err);
      }
    }
    let launched: { instanceId: string; clientToken: string };
    try {
      launched = await launch(client, inputs);
    } catch (err) {
      throw describeFailure(name, err);
    }
    const timeout = parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS;
    try {
      const inst = await waitInstanceRunning(client, launched.instanceId, timeout);
      return { id: launched.instanceId, outs: await outputsFor(client, { ...props, ...inputs }, inst, launched.clientToken) };
    } catch (waitErr) {
      // Never leave an orphan: delete what was launched; if even that fails, hand the engine a partial
      // resource so the instance stays in state and the next `up` or `destroy` deals with it.
      const why = describeFailure(name, waitErr).message;
      try {
        await removeInstance(client, launched.instanceId, DEFAULT_DELETE_MS);
      } catch (cleanupErr) {
        throw partialResource(launched.instanceId, plain({ ...props, ...inputs, instanceId: launched.instanceId, clientToken: launched.clientToken, status: "UNKNOWN" }), [
          why,
          `cleanup of ${launched.instanceId} failed too: ${describeFailure(name, cleanupErr).message}`,
        ]);
      }
      throw new Error(`${why} (the instance ${launched.instanceId} was deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const inst = (await findInstance(client, id)) ?? (await findReplacement(client, id));
      // Released (by the spot market, or by hand) with no recovery: gone. Refresh drops it; the next
      // `up` recreates it.
      if (!inst) return { id: "", props: {} };
      // Released and relaunched by the recovery controller: the stack adopts the replacement (same
      // inputs, so the next `up` changes nothing).
      const lineage = inst.InstanceId === id ? {} : { recoveredFrom: id, launchedFromImageId: inst.ImageId };
      return { id: inst.InstanceId, props: await outputsFor(client, { ...withCloudValues(props, inst), ...lineage }, inst) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = spotInstanceSchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    const name = label(inputs, id);
    try {
      const modify: Record<string, string | undefined> = {};
      if (olds.instanceName !== inputs.instanceName && inputs.instanceName !== undefined) modify.InstanceName = inputs.instanceName;
      if (olds.description !== inputs.description) modify.Description = inputs.description ?? "";
      if (olds.password !== inputs.password && inputs.password !== undefined) modify.Password = inputs.password;
      if (Object.keys(modify).length > 0) await client.call("ModifyInstanceAttribute", { InstanceId: id, ...modify }, { safe: true });
      await syncTags(client, id, { ...(olds.tags ?? {}), ...recoveryTags(olds.recovery) }, { ...(inputs.tags ?? {}), ...recoveryTags(inputs.recovery) });
      const inst = await findInstance(client, id);
      if (!inst) throw new Error(`instance ${id} disappeared during the update; run \`pulumi refresh\``);
      return { outs: await outputsFor(client, { ...news, ...inputs }, inst, olds.clientToken) };
    } catch (err) {
      throw describeFailure(name, err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    const timeout = parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS;
    try {
      await removeInstance(client, id, timeout);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};

/**
 * The instance the recovery controller launched in place of `id`: tagged recovered-from `id`, or — when
 * the state missed several recoveries in a row — tagged with `id` as the origin of its line.
 */
async function findReplacement(client: EcsClient, id: string): Promise<Instance | undefined> {
  for (const tagKey of [RECOVERY_TAGS.recoveredFrom, RECOVERY_TAGS.origin]) {
    const found = await listInstances(client, { tagKey, tagValues: [id] });
    const newest = found.sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
    if (newest) return newest;
  }
  return undefined;
}


/** ModifyInstanceAttribute and tag edits are idempotent, so retried; CreateTags overwrites values. */
async function syncTags(client: EcsClient, id: string, olds: Record<string, string>, news: Record<string, string>): Promise<void> {
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = Object.entries(news).filter(([k, v]) => olds[k] !== v);
  if (removed.length) await client.call("DeleteTags", { ResourceType: "instance", ResourceIds: [id], TagKeys: removed }, { safe: true });
  if (changed.length)
    await client.call("CreateTags", { ResourceType: "instance", ResourceIds: [id], Tags: changed.map(([Key, Value]) => ({ Key, Value })) }, { safe: true });
}

/**
 * DeleteInstance, then wait until it is gone. A missing instance is already deleted; one still
 * CREATING cannot be deleted yet, so wait for it to settle first.
 */
export async function removeInstance(client: EcsClient, id: string, timeoutMs: number): Promise<void> {
  const inst = await findInstance(client, id);
  if (!inst) return;
  if (inst.Status === "CREATING") await waitInstanceRunning(client, id, timeoutMs).catch(() => undefined);
  try {
    await client.call("DeleteInstance", { InstanceId: id, ClientToken: `del-${id}`.slice(0, 64) });
  } catch (err) {
    if (err instanceof CloudError && err.code === "InvalidInstance.NotFound") return;
    throw err;
  }
  await waitInstanceGone(client, id, timeoutMs);
}

export { RECOVERY_TAGS };
