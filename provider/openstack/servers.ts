// Finders, status and waiters for Nova servers (terraform-provider-aws's find/status/wait split): the
// resources, the runner and the CLI call these, never the client's compute() for servers themselves.
// Shapes: nova api-ref servers.inc (Show Server Details at microversion 2.45), metadata.inc, and
// servers-actions.inc for the actions.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { OpenStackClient } from "./client";

/** The fields of a server we read (servers.inc "Show Server Details"). */
export interface Server {
  id: string;
  name: string;
  /** ACTIVE, BUILD, ERROR, SHUTOFF, SUSPENDED, PAUSED, RESCUE, REBUILD, … (nova common.py status_from_state). */
  status: string;
  "OS-EXT-STS:task_state"?: string | null;
  "OS-EXT-STS:vm_state"?: string;
  metadata: Record<string, string>;
  addresses?: Record<string, { addr: string; version: number; "OS-EXT-IPS:type"?: string }[]>;
  /** {id} of the image the server boots from ("" for a server booted from a volume). */
  image?: { id: string } | "";
  fault?: { code: number; message: string; created?: string };
  created?: string;
  updated?: string;
}

/** Statuses from which a server never comes back: it reads as gone. */
const GONE = new Set(["DELETED", "SOFT_DELETED"]);

export const taskState = (s: Server): string | null => s["OS-EXT-STS:task_state"] ?? null;

/** The server, or NotFoundError when it does not exist (404 itemNotFound) or is deleted. */
export async function findServer(client: OpenStackClient, serverId: string): Promise<Server> {
  try {
    const { body } = await client.compute<{ server: Server }>("GET", `/servers/${encodeURIComponent(serverId)}`, { action: "GET /servers/{id}" });
    if (GONE.has(body.server.status)) throw new NotFoundError("server", serverId, body.server.status);
    return body.server;
  } catch (err) {
    if (err instanceof CloudError && err.httpStatus === 404) throw new NotFoundError("server", serverId, "no such server in this project");
    throw err;
  }
}

/** Every server of the project with details, every page (servers.inc: limit, marker, servers_links). */
export async function listServers(client: OpenStackClient): Promise<Server[]> {
  const out: Server[] = [];
  let marker: string | undefined;
  for (;;) {
    const { body } = await client.compute<{ servers: Server[]; servers_links?: { rel: string }[] }>("GET", "/servers/detail", { query: { limit: 1000, marker }, action: "GET /servers/detail" });
    out.push(...body.servers.filter((s) => !GONE.has(s.status)));
    if (!body.servers_links?.some((l) => l.rel === "next") || !body.servers.length) return out;
    marker = body.servers[body.servers.length - 1].id;
  }
}

/** A server by id, or by its exact name when that is unique (for operators typing a name). */
export async function resolveServer(client: OpenStackClient, idOrName: string): Promise<Server> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName)) return findServer(client, idOrName);
  const named = (await listServers(client)).filter((s) => s.name === idOrName);
  if (named.length === 1) return named[0];
  if (!named.length) throw new NotFoundError("server", idOrName, "no server has this id or name");
  throw new Error(`${named.length} servers are named ${idOrName} (${named.map((s) => s.id).join(", ")}): give the id`);
}

/** The first fixed IPv4 address of a server (what a health probe dials), if it has one. */
export function fixedAddress(s: Server): string | undefined {
  for (const addrs of Object.values(s.addresses ?? {})) {
    const fixed = addrs.find((a) => a.version === 4 && (a["OS-EXT-IPS:type"] ?? "fixed") === "fixed");
    if (fixed) return fixed.addr;
  }
  return undefined;
}

// ---- metadata (metadata.inc) ----

/**
 * nova compute/api.py update_instance_metadata: only in vm_state active, paused, suspended or stopped
 * with no task running; otherwise 409 conflictingRequest.
 */
export function metadataWritable(s: Server): boolean {
  return ["ACTIVE", "PAUSED", "SUSPENDED", "SHUTOFF"].includes(s.status) && taskState(s) === null;
}

/** PUT /servers/{id}/metadata/{key}: creates or replaces one item (a repeat writes the same: safe). */
export async function setMetadataItem(client: OpenStackClient, serverId: string, key: string, value: string): Promise<void> {
  await client.compute("PUT", `/servers/${encodeURIComponent(serverId)}/metadata/${encodeURIComponent(key)}`, { body: { meta: { [key]: value } }, action: "PUT /servers/{id}/metadata/{key}" });
}

/** DELETE /servers/{id}/metadata/{key}; an absent item (or server) is already deleted. */
export async function deleteMetadataItem(client: OpenStackClient, serverId: string, key: string): Promise<void> {
  try {
    await client.compute("DELETE", `/servers/${encodeURIComponent(serverId)}/metadata/${encodeURIComponent(key)}`, { action: "DELETE /servers/{id}/metadata/{key}" });
  } catch (err) {
    if (err instanceof CloudError && err.httpStatus === 404) return;
    throw err;
  }
}

// ---- actions (servers-actions.inc) ----

export type ServerAction =
  | { createBackup: { name: string; backup_type: string; rotation: number; metadata?: Record<string, string> } }
  | { rescue: { rescue_image_ref?: string } | null }
  | { unrescue: null }
  | { suspend: null }
  | { resume: null }
  | { pause: null }
  | { unpause: null }
  | { "os-start": null }
  | { rebuild: { imageRef: string } };

/**
 * POST /servers/{id}/action. Never retried by the client (`safe: false`): a repeated action is a 409 at
 * best and a second backup at worst; callers decide (createBackup looks first, see backups.ts).
 */
export async function serverAction<T = unknown>(client: OpenStackClient, serverId: string, action: ServerAction): Promise<T> {
  const name = Object.keys(action)[0];
  const { body } = await client.compute<T>("POST", `/servers/${encodeURIComponent(serverId)}/action`, { body: action, safe: false, action: name });
  return body;
}

/** A 409 conflictingRequest: the server is in a state (or has a task) that refuses the call. */
export function isConflict(err: unknown): err is CloudError {
  return err instanceof CloudError && err.httpStatus === 409;
}

// ---- status and waiters ----

/** Status with the task: "ACTIVE", or "ACTIVE/image_backup" while a task runs (the waiter's state label). */
export function statusLabel(s: Server | undefined): string {
  if (!s) return "gone";
  const task = taskState(s);
  return task ? `${s.status}/${task}` : s.status;
}

export interface WaitOptions {
  timeoutMs: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Waits until the server is in one of `targets` with no task running. ERROR (unless a target) and a
 * server that disappears end the wait at once.
 */
export function waitServerStatus(client: OpenStackClient, serverId: string, targets: string[], o: WaitOptions): Promise<Server> {
  return waitUntil<Server | undefined>({
    what: `server ${serverId} to be ${targets.join(" or ")}`,
    poll: () => orUndefined(findServer(client, serverId)),
    done: (s) => s !== undefined && targets.includes(s.status) && taskState(s) === null,
    // ERROR with a task running is a server still being acted on (a rescue or rebuild of a server in ERROR).
    failed: (s) => (s === undefined ? "it was deleted" : s.status === "ERROR" && taskState(s) === null && !targets.includes("ERROR") ? `it is in ERROR${s.fault ? ` (${s.fault.message})` : ""}` : undefined),
    state: statusLabel,
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    signal: o.signal,
  }) as Promise<Server>;
}

/** Waits until no task runs on the server (a backup uploading, an action in flight); any status. */
export function waitServerIdle(client: OpenStackClient, serverId: string, o: WaitOptions): Promise<Server> {
  return waitUntil<Server | undefined>({
    what: `server ${serverId} to finish its task`,
    poll: () => orUndefined(findServer(client, serverId)),
    done: (s) => s !== undefined && taskState(s) === null && s.status !== "BUILD",
    failed: (s) => (s === undefined ? "it was deleted" : undefined),
    state: statusLabel,
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    signal: o.signal,
  }) as Promise<Server>;
}
