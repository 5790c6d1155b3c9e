// What an operator does by hand to a protected server (`pulumi-recovery rescue|unrescue|suspend|resume
// <server>`), through the same finders, waiters and journal as the runner: each action is journaled
// before the call and when it ends, so the runner's records and the operator's tell one story.
import type { Clock } from "../core/clock";
import type { OpenStackClient } from "./client";
import type { ActionJournal } from "./journal";
import { policiesOf } from "./policy";
import { fixedAddress, isConflict, resolveServer, serverAction, statusLabel, waitServerStatus, type Server } from "./servers";

export const OPERATOR_ACTIONS = ["rescue", "unrescue", "suspend", "resume"] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export interface OperatorOptions {
  /** rescue: the image to boot from (default: the server's recovery policy's rescue image, else Nova's default, the server's own image). */
  image?: string;
  /** suspend: pause instead (memory kept on the host). */
  pause?: boolean;
  /** Wait until the server reaches the new state (default true). */
  wait?: boolean;
  timeoutMs?: number;
  clock?: Clock;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function operate(client: OpenStackClient, journal: ActionJournal | undefined, idOrName: string, action: OperatorAction, o: OperatorOptions = {}): Promise<{ server: Server; message: string }> {
  const now = () => (o.clock ?? { now: Date.now }).now();
  let s = await resolveServer(client, idOrName);
  const plan = planFor(s, action, o);
  const key = `operator:${s.id}`;
  const startedAt = iso(now());
  await journal?.put({ key, kind: "operator", serverId: s.id, state: "in-progress", action: plan.call, reason: `operator: pulumi-recovery ${action}`, startedAt, by: "operator", imageId: plan.image });
  try {
    await serverAction(client, s.id, plan.body);
  } catch (e) {
    if (isConflict(e)) throw new Error(`Nova refused to ${plan.call} server ${s.id} (${s.name}), which is ${statusLabel(s)}: ${e.cloudMessage}`);
    throw e;
  }
  if (o.wait !== false) s = await waitServerStatus(client, s.id, [plan.target], { timeoutMs: o.timeoutMs ?? 20 * 60_000, clock: o.clock });
  await journal?.put({ key, kind: "operator", serverId: s.id, state: "done", action: plan.call, reason: `operator: pulumi-recovery ${action}`, startedAt, endedAt: iso(now()), by: "operator", imageId: plan.image });
  return { server: s, message: describe(s, plan, o.wait !== false) };
}

interface Plan {
  call: string;
  body: Parameters<typeof serverAction>[2];
  target: string;
  image?: string;
}

function planFor(s: Server, action: OperatorAction, o: OperatorOptions): Plan {
  const refuse = (why: string) => new Error(`cannot ${action} server ${s.id} (${s.name}): it is ${statusLabel(s)}${why ? `; ${why}` : ""}`);
  switch (action) {
    case "rescue": {
      if (s.status === "RESCUE") throw refuse("it is rescued already (`pulumi-recovery unrescue` ends it)");
      const image = o.image ?? policiesOf(s.metadata).recovery?.image;
      return { call: "rescue", body: { rescue: image ? { rescue_image_ref: image } : null }, target: "RESCUE", image };
    }
    case "unrescue":
      if (s.status !== "RESCUE") throw refuse("only a server in RESCUE can be unrescued");
      return { call: "unrescue", body: { unrescue: null }, target: "ACTIVE" };
    case "suspend":
      if (s.status !== "ACTIVE") throw refuse("Nova suspends and pauses only ACTIVE servers");
      return o.pause ? { call: "pause", body: { pause: null }, target: "PAUSED" } : { call: "suspend", body: { suspend: null }, target: "SUSPENDED" };
    case "resume":
      if (s.status === "PAUSED") return { call: "unpause", body: { unpause: null }, target: "ACTIVE" };
      if (s.status === "SUSPENDED") return { call: "resume", body: { resume: null }, target: "ACTIVE" };
      throw refuse("only a SUSPENDED or PAUSED server can be resumed");
  }
}

function describe(s: Server, plan: Plan, waited: boolean): string {
  const state = waited ? `is ${s.status}` : `is going to ${plan.target} (not waited for)`;
  if (plan.call !== "rescue") return `server ${s.id} (${s.name}) ${state} after ${plan.call}`;
  const ip = fixedAddress(s);
  return (
    `server ${s.id} (${s.name}) ${state}, booted from ${plan.image ? `image ${plan.image}` : "its own image (Nova's default rescue image)"}; ` +
    `its own disk is attached as the second disk (/dev/vdb on virtio, /dev/sdb on SCSI): mount it to repair it. ` +
    `Reach it on the console (openstack console url show ${s.id})${ip ? ` or at ${ip} with the rescue image's login` : ""}; ` +
    `\`pulumi-recovery unrescue ${s.id}\` boots it from its own disk again`
  );
}
