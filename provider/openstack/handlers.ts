// The lifecycles of the three OpenStack policies. Each is one Nova metadata item on its server (see
// policy.ts): create and update write it (PUT …/metadata/{key}: a repeat writes the same value, so a
// create retried after a crash or a lost answer is safe without a create token — nothing else is
// created), read decodes it back (drift: an edited item shows as a change, a removed one as a deleted
// resource), delete removes it. The runner (runner.ts) acts on the items; backups are made there.
import type { z } from "zod";
import type { Timeouts } from "../core/check";
import { openstackConnection } from "../config";
import { checkResource } from "../core/check";
import { describeFailure, isNotFound, orUndefined } from "../core/errors";
import { diffInputs, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { parseDuration } from "../core/waiter";
import { ourBackups } from "./backups";
import { OpenStackClient } from "./client";
import { deleteImage, listBackups } from "./images";
import {
  backupPolicyOf,
  backupPolicySchema,
  decodeBackup,
  decodeRecovery,
  decodeSuspend,
  encodePolicy,
  KEYS,
  recoveryPolicyOf,
  recoveryPolicySchema,
  suspendPolicyOf,
  suspendScheduleSchema,
  type BackupPolicyInputs,
  type RecoveryPolicyInputs,
  type SuspendScheduleInputs,
} from "./policy";
import type { ServerBackupPolicyOutputs, ServerRecoveryPolicyOutputs, ServerSuspendScheduleOutputs } from "./resources";
import { nextFirings, parseSchedule, type Schedule } from "./schedule";
import { deleteMetadataItem, findServer, metadataWritable, setMetadataItem, statusLabel, waitServerIdle, type Server } from "./servers";

const DEFAULT_WRITE_MS = 10 * 60_000;

const clientFor = (inputs: { cloud?: string; region?: string }, ctx: HandlerContext) => OpenStackClient.for(openstackConnection(ctx.config, { cloud: inputs.cloud, region: inputs.region }));

/** Why Nova will not change this server's metadata now, and what to do; undefined when it will (or will once its task ends). */
function notWritable(s: Server): string | undefined {
  if (metadataWritable(s) || (["ACTIVE", "PAUSED", "SUSPENDED", "SHUTOFF"].includes(s.status) && s["OS-EXT-STS:task_state"])) return undefined;
  const fix =
    s.status === "RESCUE" ? `unrescue it first (pulumi-recovery unrescue ${s.id})` : s.status === "ERROR" ? "recover it first (the runner's recovery policy, or rebuild/reset it)" : "wait until it is ACTIVE, SHUTOFF, SUSPENDED or PAUSED";
  return `server ${s.id} is ${statusLabel(s)}, and Nova changes a server's metadata only while it is ACTIVE, SHUTOFF, SUSPENDED or PAUSED with no task running: ${fix}, then run the command again`;
}

/** Waits out a running task (a backup uploading), then Nova accepts the metadata change. */
async function writable(client: OpenStackClient, serverId: string, timeoutMs: number): Promise<Server> {
  let s = await findServer(client, serverId);
  const why = notWritable(s);
  if (why) throw new Error(why);
  if (!metadataWritable(s)) s = await waitServerIdle(client, serverId, { timeoutMs });
  const still = notWritable(s);
  if (still) throw new Error(still);
  return s;
}

/** The item's current owner, when another resource declared it (refused: one declaration per item). */
function ownedElsewhere(raw: string | undefined, by: string): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const owner = JSON.parse(raw)?.by;
    return typeof owner === "string" && owner !== by ? owner : undefined;
  } catch {
    return undefined;
  }
}

interface BaseInputs {
  serverId: string;
  cloud?: string;
  region?: string;
  timeouts?: Timeouts;
  __identity?: string;
}

interface PolicyKind<I extends BaseInputs, O extends object> {
  /** "ServerBackupPolicy". */
  name: string;
  schema: z.ZodType<I>;
  replaceKeys: string[];
  key(i: I): string;
  value(i: I): string;
  owner(i: I): string;
  idOf(i: I): string;
  /** The inputs as the server's metadata item has them now (drift); undefined when unreadable. */
  fromCloud(raw: string, props: I): Partial<I> | undefined;
  outputs(client: OpenStackClient, i: I, server: Server): Promise<O>;
  /** After the item is gone (e.g. delete the backups when asked). */
  afterDelete?(client: OpenStackClient, i: I, timeoutMs: number): Promise<void>;
}

function policyHandler<I extends BaseInputs, O extends object>(k: PolicyKind<I, O>): ResourceHandler<I, O> {
  const inputKeys = Object.keys((k.schema as unknown as { shape: object }).shape);
  const label = (i: Partial<I> & { serverId?: string }) => `${k.name} on server ${i.serverId ?? "?"}`;
  const outs = async (client: OpenStackClient, inputs: I, server: Server, extra: object = {}): Promise<Outs<I, O>> =>
    plain({ ...extra, ...inputs, policyKey: k.key(inputs), serverName: server.name, serverStatus: server.status, ...(await k.outputs(client, inputs, server)) });

  return {
    async check(olds, news) {
      return checkResource(k.schema, olds, news);
    },

    async diff(_id, olds, news) {
      const d = diffInputs(olds, news, { inputKeys, replaceKeys: k.replaceKeys, deleteBeforeReplace: true });
      // The same key on the same server cannot be held by two generations: the old one goes first.
      return d;
    },

    async create(inputs, ctx) {
      const i = k.schema.parse(pickInputs(inputs, inputKeys)) as I;
      const client = clientFor(i, ctx);
      try {
        const server = await writable(client, i.serverId, parseDuration(i.timeouts?.create ?? "") ?? DEFAULT_WRITE_MS);
        const other = ownedElsewhere(server.metadata[k.key(i)], k.owner(i));
        if (other) throw new Error(`server ${i.serverId} already carries ${k.key(i)}, declared by another resource (owner ${other}): one resource per policy item; delete that one, or remove the item with \`openstack server unset --property ${k.key(i)} ${i.serverId}\``);
        await setMetadataItem(client, i.serverId, k.key(i), k.value(i));
        return { id: k.idOf(i), outs: await outs(client, i, await findServer(client, i.serverId), inputs) };
      } catch (err) {
        throw describeFailure(label(i), hint(err));
      }
    },

    async read(id, props, ctx) {
      const client = clientFor(props, ctx);
      try {
        const server = await orUndefined(findServer(client, props.serverId));
        const raw = server?.metadata[k.key(props)];
        // The server is gone, or the item was removed behind Pulumi's back: the policy no longer exists.
        if (!server || raw === undefined) return { id: "", props: {} as Outs<I, O> };
        const seen = k.fromCloud(raw, props) ?? {};
        const inputs = { ...pickInputs(props, inputKeys), ...seen } as I;
        return { id, props: await outs(client, inputs, server, props) };
      } catch (err) {
        throw describeFailure(label(props), err);
      }
    },

    async update(_id, olds, news, ctx) {
      const i = k.schema.parse(pickInputs(news, inputKeys)) as I;
      const client = clientFor(i, ctx);
      try {
        await writable(client, i.serverId, parseDuration(i.timeouts?.update ?? "") ?? DEFAULT_WRITE_MS);
        await setMetadataItem(client, i.serverId, k.key(i), k.value(i));
        return { outs: await outs(client, i, await findServer(client, i.serverId), { ...olds, ...news }) };
      } catch (err) {
        throw describeFailure(label(i), hint(err));
      }
    },

    async delete(_id, props, ctx) {
      const client = clientFor(props, ctx);
      const timeoutMs = parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_WRITE_MS;
      try {
        const server = await orUndefined(findServer(client, props.serverId));
        if (server && server.metadata[k.key(props)] !== undefined) {
          // Only our own declaration: another resource may have taken the item over since.
          if (!ownedElsewhere(server.metadata[k.key(props)], k.owner(props))) {
            await writable(client, props.serverId, timeoutMs);
            await deleteMetadataItem(client, props.serverId, k.key(props));
          }
        }
        await k.afterDelete?.(client, props, timeoutMs);
      } catch (err) {
        if (isNotFound(err)) return;
        throw describeFailure(label(props), hint(err));
      }
    },
  };
}

/** Nova's 403 on metadata is its quota: say which. */
function hint(err: unknown): unknown {
  const e = err as { httpStatus?: number; cloudMessage?: string; message?: string };
  if (e?.httpStatus === 403 && /metadata items/i.test(e.cloudMessage ?? "")) {
    return new Error(`${e.message}. What to do: the server holds as many metadata items as the project's quota allows (nova.conf [quota] metadata_items, 128 by default): remove some (openstack server unset --property …) or ask for a higher quota`);
  }
  return err;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (s: Schedule | { error: string }) => ("error" in s ? undefined : iso(nextFirings(s, Date.now(), 1)[0]));

export const serverBackupPolicyHandler = policyHandler<BackupPolicyInputs, ServerBackupPolicyOutputs>({
  name: "ServerBackupPolicy",
  schema: backupPolicySchema,
  replaceKeys: ["serverId", "backupType"],
  key: (i) => KEYS.backup(i.backupType),
  value: (i) => encodePolicy(backupPolicyOf(i)),
  owner: (i) => backupPolicyOf(i).by,
  idOf: (i) => `${i.serverId}/backup/${i.backupType}`,
  fromCloud(raw) {
    const p = decodeBackup(raw);
    return p && { schedule: p.schedule, timezone: p.tz, rotation: p.rotation, namePrefix: p.prefix, backupType: p.type };
  },
  async outputs(client, i) {
    const backups = (await listBackups(client, i.serverId, { backupType: i.backupType })).filter((b) => b.status === "active");
    return {
      policyKey: KEYS.backup(i.backupType),
      latestBackupImageId: backups[0]?.id,
      latestBackupAt: backups[0]?.created_at,
      backupCount: backups.length,
      nextBackupAt: next(parseSchedule(i.schedule, i.timezone)),
    } as ServerBackupPolicyOutputs;
  },
  async afterDelete(client, i) {
    if (!i.deleteBackupsOnDestroy) return;
    for (const b of await ourBackups(client, i.serverId, i.backupType)) await deleteImage(client, b.id);
  },
});

export const serverRecoveryPolicyHandler = policyHandler<RecoveryPolicyInputs, ServerRecoveryPolicyOutputs>({
  name: "ServerRecoveryPolicy",
  schema: recoveryPolicySchema,
  replaceKeys: ["serverId"],
  key: () => KEYS.recovery,
  value: (i) => encodePolicy(recoveryPolicyOf(i)),
  owner: (i) => recoveryPolicyOf(i).by,
  idOf: (i) => `${i.serverId}/recovery`,
  fromCloud(raw, props) {
    const p = decodeRecovery(raw);
    if (!p) return undefined;
    const probe = p.probe ? { http: p.probe.http, tcp: p.probe.tcp, failuresBeforeAction: p.probe.fails, timeout: p.probe.timeout } : undefined;
    return { action: p.action, rescueImageId: p.image, onError: p.onError, expectRunning: p.expectRunning, healthProbe: probe as RecoveryPolicyInputs["healthProbe"], backupType: p.backupType, cooldown: p.cooldown, serverId: props.serverId };
  },
  async outputs(_client, i) {
    return { policyKey: KEYS.recovery } as ServerRecoveryPolicyOutputs;
  },
});

export const serverSuspendScheduleHandler = policyHandler<SuspendScheduleInputs, ServerSuspendScheduleOutputs>({
  name: "ServerSuspendSchedule",
  schema: suspendScheduleSchema,
  replaceKeys: ["serverId"],
  key: () => KEYS.suspend,
  value: (i) => encodePolicy(suspendPolicyOf(i)),
  owner: (i) => suspendPolicyOf(i).by,
  idOf: (i) => `${i.serverId}/suspend`,
  fromCloud(raw) {
    const p = decodeSuspend(raw);
    return p && { mode: p.mode, suspendAt: p.suspend, resumeAt: p.resume, timezone: p.tz };
  },
  async outputs(_client, i) {
    return { policyKey: KEYS.suspend, nextSuspendAt: next(parseSchedule(i.suspendAt, i.timezone)), nextResumeAt: next(parseSchedule(i.resumeAt, i.timezone)) } as ServerSuspendScheduleOutputs;
  },
});

export type { BackupPolicyInputs, RecoveryPolicyInputs, SuspendScheduleInputs };
