// Nova 2.1 at /compute: version discovery, microversion negotiation, flavors, keypairs, servers and
// server actions. Shapes from the nova api-ref (servers.inc, servers-actions.inc, flavors.inc,
// versions.inc, parameters.yaml) and its api_samples; the microversion a field or behaviour starts at is
// named beside it.
import { createHash, randomBytes } from "node:crypto";
import type { EmulatorResponse } from "../../service";
import { NovaBadRequest, NovaFault, NovaItemNotFound, VersionNotAcceptable } from "../errors";
import { authToken, header, iso, reply, type Call } from "../http";
import type { Token } from "../identity/model";
import { field, integer, isObject, jsonBody, object, string, stringMap } from "../params";
import type { Flavor, NetworkRequest, Server } from "./model";

const bad = (m: string) => new NovaBadRequest(m);
export const MIN_MICROVERSION = "2.1";

/** A microversion as a comparable number pair. */
export class Microversion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}
  static parse(s: string): Microversion | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(s.trim());
    return m ? new Microversion(Number(m[1]), Number(m[2])) : undefined;
  }
  atLeast(v: string): boolean {
    const o = Microversion.parse(v)!;
    return this.major > o.major || (this.major === o.major && this.minor >= o.minor);
  }
  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/**
 * nova api-guide microversions.rst: `OpenStack-API-Version: compute X.Y` (or the legacy
 * `X-OpenStack-Nova-API-Version: X.Y`); none means the minimum, `latest` the maximum; a malformed one is
 * 400, one outside [min, max] is 406.
 */
export function negotiate(c: Call): Microversion {
  const max = Microversion.parse(c.model.opts.maxMicroversion)!;
  let requested: string | undefined;
  const std = header(c, "openstack-api-version");
  if (std !== undefined) {
    for (const part of std.split(",")) {
      const [service, value] = part.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === "compute" && value !== undefined) requested = value;
    }
  }
  if (requested === undefined) requested = header(c, "x-openstack-nova-api-version")?.trim();
  if (requested === undefined) return Microversion.parse(MIN_MICROVERSION)!;
  if (requested === "latest") return max;
  const v = Microversion.parse(requested);
  if (!v) throw new NovaBadRequest(`API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (!v.atLeast(MIN_MICROVERSION) || !max.atLeast(v.toString())) throw Object.assign(new VersionNotAcceptable(v.toString(), MIN_MICROVERSION, max.toString()), { microversion: v });
  return v;
}

/** nova api/openstack/wsgi.py: every versioned answer names its microversion, both spellings, and Vary. */
export function versionHeaders(v: Microversion): Record<string, string> {
  return { "OpenStack-API-Version": `compute ${v}`, "X-OpenStack-Nova-API-Version": `${v}`, Vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version" };
}

function versionDoc(c: Call, withDetails: boolean) {
  const doc: Record<string, unknown> = {
    id: "v2.1",
    status: "CURRENT",
    version: c.model.opts.maxMicroversion,
    min_version: MIN_MICROVERSION,
    updated: "2013-07-23T11:33:21Z",
    links: [{ rel: "self", href: `${c.base}/compute/v2.1/` }],
  };
  if (withDetails) {
    (doc.links as unknown[]).push({ rel: "describedby", type: "text/html", href: "http://docs.openstack.org/" });
    doc["media-types"] = [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }];
  }
  return doc;
}

interface Ctx extends Call {
  v: Microversion;
  token: Token;
  projectId: string;
  /** http://host/compute/v2.1 */
  api: string;
}

// ---- rendering ----

function links(c: Ctx, kind: string, id: string) {
  return [
    { rel: "self", href: `${c.api}/${kind}/${id}` },
    { rel: "bookmark", href: `${c.base}/compute/${kind}/${id}` },
  ];
}

function renderFlavor(c: Ctx, f: Flavor, detail: boolean) {
  const out: Record<string, unknown> = { id: f.id, name: f.name, links: links(c, "flavors", f.id) };
  if (c.v.atLeast("2.55")) out.description = f.description; // flavors.inc: description from 2.55
  if (!detail) return out;
  Object.assign(out, {
    ram: f.ram,
    disk: f.disk,
    vcpus: f.vcpus,
    "OS-FLV-EXT-DATA:ephemeral": f.ephemeral,
    "OS-FLV-DISABLED:disabled": f.disabled,
    // parameters.yaml flavor_swap: "" when there is none, 0 from 2.75.
    swap: f.swap === 0 && !c.v.atLeast("2.75") ? "" : f.swap,
    rxtx_factor: f.rxtxFactor,
    "os-flavor-access:is_public": f.isPublic,
  });
  if (c.v.atLeast("2.61")) out.extra_specs = { ...f.extraSpecs }; // flavors.inc: extra_specs from 2.61
  return out;
}

function addresses(c: Ctx, s: Server) {
  const out: Record<string, unknown[]> = {};
  if (s.vmState === "building" && c.model.compute.taskState(s) === "scheduling") return out;
  for (const pid of s.portIds) {
    const port = c.model.network.ports.get(pid);
    const net = port && c.model.network.networks.get(port.networkId);
    if (!port || !net) continue;
    (out[net.name] ??= []).push(...port.fixedIps.map((ip) => ({ version: 4, addr: ip.ip_address, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port.macAddress })));
  }
  return out;
}

/** nova api-ref servers.inc "Show Server Details" response, field by field with the microversion it starts at. */
function renderServer(c: Ctx, s: Server) {
  const compute = c.model.compute;
  const status = compute.status(s);
  const flavor = compute.flavors.get(s.flavorId);
  const out: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: { ...s.metadata },
    hostId: s.launchedAt !== null || s.vmState !== "building" ? createHash("sha224").update(`${s.projectId}emulator-compute-1`).digest("hex") : "",
    image: { id: s.imageId, links: [{ rel: "bookmark", href: `${c.base}/compute/images/${s.imageId}` }] },
    // servers.inc flavor: {id, links} until 2.46, the flavor's own values from 2.47.
    flavor: c.v.atLeast("2.47")
      ? { vcpus: flavor?.vcpus, ram: flavor?.ram, disk: flavor?.disk, ephemeral: flavor?.ephemeral ?? 0, swap: flavor?.swap ?? 0, original_name: flavor?.name, extra_specs: { ...(flavor?.extraSpecs ?? {}) } }
      : { id: s.flavorId, links: [{ rel: "bookmark", href: `${c.base}/compute/flavors/${s.flavorId}` }] },
    created: iso(s.createdAt),
    updated: iso(s.updatedAt),
    addresses: addresses(c, s),
    accessIPv4: "",
    accessIPv6: "",
    links: links(c, "servers", s.id),
    "OS-DCF:diskConfig": "MANUAL",
    "OS-EXT-AZ:availability_zone": s.launchedAt !== null || s.vmState !== "building" ? "nova" : "",
    config_drive: "",
    key_name: s.keyName,
    "OS-SRV-USG:launched_at": s.launchedAt === null ? null : new Date(s.launchedAt).toISOString().replace("Z", "000").replace(/\.(\d{6})\d*$/, ".$1"),
    "OS-SRV-USG:terminated_at": null,
    "OS-EXT-STS:task_state": compute.taskState(s),
    "OS-EXT-STS:vm_state": s.vmState,
    "OS-EXT-STS:power_state": s.powerState,
    "os-extended-volumes:volumes_attached": [],
    security_groups: s.portIds.length ? [{ name: "default" }] : undefined,
  };
  if (out.security_groups === undefined) delete out.security_groups;
  // servers.inc progress: shown for ACTIVE, BUILD, REBUILD, RESIZE, VERIFY_RESIZE, MIGRATING.
  if (["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"].includes(status)) out.progress = 0;
  // servers.inc fault: for servers in ERROR (details only when the code is not 500, for non-admins).
  if (s.fault && status === "ERROR") out.fault = { code: s.fault.code, created: iso(s.fault.created), message: s.fault.message, ...(s.fault.code !== 500 && s.fault.details ? { details: s.fault.details } : {}) };
  if (c.v.atLeast("2.9")) out.locked = false;
  if (c.v.atLeast("2.19")) out.description = s.description;
  if (c.v.atLeast("2.26")) out.tags = [];
  if (c.v.atLeast("2.63")) out.trusted_image_certificates = null;
  if (c.v.atLeast("2.71")) out.server_groups = [];
  if (c.v.atLeast("2.73")) out.locked_reason = null;
  if (c.v.atLeast("2.90")) out["OS-EXT-SRV-ATTR:hostname"] = s.hostname;
  if (c.v.atLeast("2.96")) out.pinned_availability_zone = null;
  return out;
}

// ---- listing ----

const SERVER_QUERY = new Set(
  "user_id project_id tenant_id launch_index image_ref image kernel_id ramdisk_id hostname key_name power_state vm_state task_state host node flavor reservation_id launched_at terminated_at availability_zone name display_name description display_description locked_by uuid root_device_name config_drive access_ip_v4 access_ip_v6 auto_disk_config progress sort_key sort_dir all_tenants soft_deleted deleted status changes-since ip ip6 created_at limit marker tags tags-any not-tags not-tags-any changes-before locked block_device_mapping services metadata system_metadata info_cache security_groups pci_devices".split(" "),
);
const STATUSES = ["ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD", "PAUSED", "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED", "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN", "VERIFY_RESIZE"];

function regexMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return value.includes(pattern);
  }
}

function limitOf(c: Ctx): number {
  const raw = c.query.get("limit");
  if (raw === undefined) return 1000; // nova.conf [api] max_limit
  if (!/^\d+$/.test(raw)) throw bad(`Invalid input for query parameters limit. Value: ${raw}. '${raw}' does not match '^[0-9]*$'`);
  return Math.min(Number(raw), 1000);
}

/** servers.inc "List Servers": filters (name is a regular expression), newest first, limit/marker, servers_links. */
function listServers(c: Ctx, detail: boolean): EmulatorResponse {
  // nova schemas/servers.py index_query_v275: from 2.75 an unknown query parameter is 400.
  if (c.v.atLeast("2.75")) for (const k of c.query.keys()) if (!SERVER_QUERY.has(k)) throw bad(`Invalid input for query parameters ${k}. Value: ${c.query.get(k)}. Additional properties are not allowed ('${k}' was unexpected)`);
  const compute = c.model.compute;
  let servers = [...compute.servers.values()].filter((s) => s.projectId === c.projectId).sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
  const name = c.query.get("name") ?? c.query.get("display_name");
  if (name !== undefined) servers = servers.filter((s) => regexMatch(name, s.name));
  const status = c.query.get("status");
  if (status !== undefined) {
    const want = status.toUpperCase();
    // servers.inc status filter: an unknown status is 400 from 2.38 (an empty list before).
    if (!STATUSES.includes(want) && c.v.atLeast("2.38")) throw bad(`Invalid status value`);
    servers = servers.filter((s) => compute.status(s) === want);
  }
  const image = c.query.get("image") ?? c.query.get("image_ref");
  if (image !== undefined) servers = servers.filter((s) => s.imageId === image.split("/").pop());
  const flavor = c.query.get("flavor");
  if (flavor !== undefined) servers = servers.filter((s) => s.flavorId === flavor.split("/").pop());
  const marker = c.query.get("marker");
  if (marker !== undefined) {
    const i = servers.findIndex((s) => s.id === marker);
    if (i < 0) throw bad(`marker [${marker}] not found`);
    servers = servers.slice(i + 1);
  }
  const limit = limitOf(c);
  const page = servers.slice(0, limit);
  const body: Record<string, unknown> = { servers: page.map((s) => (detail ? renderServer(c, s) : { id: s.id, name: s.name, links: links(c, "servers", s.id) })) };
  if (page.length && page.length === limit && c.query.get("limit") !== undefined) {
    const q = new URLSearchParams(c.req.rawQuery);
    q.set("marker", page[page.length - 1].id);
    body.servers_links = [{ rel: "next", href: `${c.api}/servers${detail ? "/detail" : ""}?${q}` }];
  }
  return reply(200, body);
}

function listFlavors(c: Ctx, detail: boolean): EmulatorResponse {
  let flavors = [...c.model.compute.flavors.values()].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  const minDisk = c.query.get("minDisk");
  if (minDisk !== undefined) flavors = flavors.filter((f) => f.disk >= Number(minDisk));
  const minRam = c.query.get("minRam");
  if (minRam !== undefined) flavors = flavors.filter((f) => f.ram >= Number(minRam));
  const marker = c.query.get("marker");
  if (marker !== undefined) {
    const i = flavors.findIndex((f) => f.id === marker);
    if (i < 0) throw bad(`marker [${marker}] not found`);
    flavors = flavors.slice(i + 1);
  }
  const limit = limitOf(c);
  const page = flavors.slice(0, limit);
  const body: Record<string, unknown> = { flavors: page.map((f) => renderFlavor(c, f, detail)) };
  if (page.length && page.length === limit && c.query.get("limit") !== undefined) {
    const q = new URLSearchParams(c.req.rawQuery);
    q.set("marker", page[page.length - 1].id);
    body.flavors_links = [{ rel: "next", href: `${c.api}/flavors${detail ? "/detail" : ""}?${q}` }];
  }
  return reply(200, body);
}

// ---- create ----

const refId = (ref: string) => ref.replace(/\/+$/, "").split("/").pop() ?? ref;

function createServer(c: Ctx): EmulatorResponse {
  const body = jsonBody(c.req, bad);
  const s = object(body, "server", bad, { required: true })!;
  const name = string(s, "name", bad, { required: true, min: 1, max: 255 })!;
  if (name.trim() !== name) throw bad(`Invalid input for field/attribute name. Value: ${name}. '${name}' does not match the pattern (no leading or trailing whitespace)`);
  const imageRef = string(s, "imageRef", bad);
  const flavorRef = field(s, "flavorRef");
  if (flavorRef === undefined) throw bad("'flavorRef' is a required property");
  if (typeof flavorRef !== "string" && typeof flavorRef !== "number") throw bad(`Invalid input for field/attribute flavorRef. Value: ${JSON.stringify(flavorRef)}.`);
  if (!imageRef) throw bad("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid."); // no volumes here: boot from an image only
  const networks = parseNetworks(c, field(s, "networks"));
  const userData = string(s, "user_data", bad);
  // servers.inc user_data: base64, at most 65535 bytes encoded.
  if (userData !== undefined && (userData.length > 65535 || !/^[A-Za-z0-9+/]*={0,2}$/.test(userData.replace(/\s/g, "")))) throw bad("User data needs to be valid base 64.");
  const adminPass = string(s, "adminPass", bad);
  const description = c.v.atLeast("2.19") ? string(s, "description", bad, { max: 255 }) : undefined;
  const { server, adminPass: pass } = c.model.compute.createServer({
    projectId: c.projectId,
    userId: c.token.userId,
    name,
    imageRef: refId(imageRef),
    flavorRef: refId(String(flavorRef)),
    networks,
    keyName: string(s, "key_name", bad),
    metadata: stringMap(s, "metadata", bad),
    userData,
    description,
    adminPass,
  });
  const out: Record<string, unknown> = { id: server.id, links: links(c, "servers", server.id), "OS-DCF:diskConfig": "MANUAL", security_groups: [{ name: "default" }] };
  if (c.model.opts.enableInstancePassword) out.adminPass = pass;
  // servers.inc create: 202 with the server's id, links and adminPass, and its URL in Location (server_location).
  return reply(202, { server: out }, { Location: `${c.api}/servers/${server.id}` });
}

/** servers.inc networks: optional list of {uuid|port|fixed_ip} before 2.37; from 2.37 required: a list, "auto" or "none". */
function parseNetworks(c: Ctx, raw: unknown): NetworkRequest {
  if (raw === undefined) {
    if (c.v.atLeast("2.37")) throw bad("'networks' is a required property");
    return undefined;
  }
  if (typeof raw === "string") {
    if (!c.v.atLeast("2.37") || (raw !== "auto" && raw !== "none")) throw bad(`Invalid input for field/attribute networks. Value: ${raw}. '${raw}' is not of type 'array'`);
    return raw;
  }
  if (!Array.isArray(raw)) throw bad(`Invalid input for field/attribute networks. Value: ${JSON.stringify(raw)}. It is not of type 'array'`);
  return raw.map((n) => {
    if (!isObject(n)) throw bad("Invalid input for field/attribute networks. Each network is an object.");
    const uuid = string(n, "uuid", bad);
    const port = string(n, "port", bad);
    if (uuid === undefined && port === undefined) throw bad("Bad networks format: network uuid is not in proper format");
    if (uuid !== undefined && c.v.atLeast("2.37") && !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(uuid)) throw bad(`Invalid input for field/attribute uuid. Value: ${uuid}. '${uuid}' is not a 'uuid'`);
    return { uuid, port, fixed_ip: string(n, "fixed_ip", bad) };
  });
}

// ---- actions ----

function action(c: Ctx, s: Server): EmulatorResponse {
  const body = jsonBody(c.req, bad);
  const keys = Object.keys(body);
  if (keys.length !== 1) throw bad("There is either no action or more than one action in the request body.");
  const name = keys[0];
  const arg = body[name];
  const compute = c.model.compute;
  const accepted = reply(202, undefined);
  switch (name) {
    case "createBackup": {
      const a = object(body, name, bad, { required: true })!;
      for (const k of Object.keys(a)) if (!["name", "backup_type", "rotation", "metadata"].includes(k)) throw bad(`Invalid input for field/attribute createBackup. Additional properties are not allowed ('${k}' was unexpected)`);
      const backupName = string(a, "name", bad, { required: true, min: 1, max: 255 })!;
      const backupType = string(a, "backup_type", bad, { required: true })!;
      // nova schemas create_backup: rotation is a non-negative integer (or its string).
      const rotation = integer(a, "rotation", bad, { required: true, min: 0 })!;
      const imageId = compute.createBackup(s, { name: backupName.trim(), backupType, rotation, metadata: stringMap(a, "metadata", bad) ?? {} });
      // servers-actions.inc createBackup: image_id in the body from 2.45; before, a Location header (when rotation > 0).
      if (c.v.atLeast("2.45")) return reply(202, { image_id: imageId });
      return reply(202, undefined, rotation > 0 ? { Location: `${c.api}/images/${imageId}` } : undefined);
    }
    case "rescue": {
      if (arg !== null && !isObject(arg)) throw bad("Invalid input for field/attribute rescue.");
      const a = (arg ?? {}) as Record<string, unknown>;
      const imageRef = string(a, "rescue_image_ref", bad);
      const pass = string(a, "adminPass", bad);
      compute.rescue(s, imageRef === undefined ? undefined : refId(imageRef));
      // servers-actions.inc rescue: 200 with adminPass (nova.conf [api] enable_instance_password).
      return reply(200, c.model.opts.enableInstancePassword ? { adminPass: pass ?? randomBytes(9).toString("base64url") } : {});
    }
    // servers-actions.inc: unrescue, suspend, resume, pause, unpause, os-stop, os-start, reboot answer 202 with no body.
    case "unrescue":
      compute.unrescue(s);
      return accepted;
    case "suspend":
      compute.suspend(s);
      return accepted;
    case "resume":
      compute.resume(s);
      return accepted;
    case "pause":
      compute.pause(s);
      return accepted;
    case "unpause":
      compute.unpause(s);
      return accepted;
    case "os-stop":
      compute.stop(s);
      return accepted;
    case "os-start":
      compute.startServer(s);
      return accepted;
    case "reboot": {
      const a = object(body, name, bad, { required: true })!;
      const type = string(a, "type", bad, { required: true })!;
      if (!/^(soft|hard)$/i.test(type)) throw bad(`Invalid input for field/attribute type. Value: ${type}. '${type}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`);
      compute.reboot(s, type.toUpperCase() as "SOFT" | "HARD");
      return accepted;
    }
    case "rebuild": {
      const a = object(body, name, bad, { required: true })!;
      const imageRef = string(a, "imageRef", bad, { required: true })!;
      const newName = string(a, "name", bad, { min: 1, max: 255 });
      const pass = string(a, "adminPass", bad);
      compute.rebuild(s, { imageRef: refId(imageRef), name: newName, metadata: stringMap(a, "metadata", bad), description: c.v.atLeast("2.19") ? (field(a, "description") as string | null | undefined) : undefined });
      // servers-actions.inc rebuild: 202 with the server (and adminPass).
      const out = renderServer(c, s);
      if (c.model.opts.enableInstancePassword) out.adminPass = pass ?? randomBytes(9).toString("base64url");
      return reply(202, { server: out });
    }
    default:
      // nova wsgi.py: an action no controller handles is 404 "There is no such action: X".
      throw new NovaItemNotFound(`There is no such action: ${name}`);
  }
}

// ---- server metadata (api-ref metadata.inc; nova api/openstack/compute/server_metadata.py) ----

/** nova api/validation/parameter_types.py metadata: keys ^[a-zA-Z0-9-_:. ]{1,255}$, string values of at most 255. */
function metadataItems(body: Record<string, unknown>, name: string, opts: { exactlyOne?: boolean } = {}): Record<string, string> {
  const v = object(body, name, bad, { required: true })!;
  const keys = Object.keys(v);
  for (const k of keys) {
    if (!/^[a-zA-Z0-9-_:. ]{1,255}$/.test(k)) throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}. Additional properties are not allowed ('${k}' was unexpected)`);
    const val = v[k];
    if (typeof val !== "string") throw bad(`Invalid input for field/attribute ${k}. Value: ${JSON.stringify(val)}. ${JSON.stringify(val)} is not of type 'string'`);
    if (val.length > 255) throw bad(`Invalid input for field/attribute ${k}. Value: ${val}. '${val}' is too long`);
  }
  // schemas/server_metadata.py update: meta has exactly one property.
  if (opts.exactlyOne && keys.length !== 1) throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} ${keys.length ? "has too many properties" : "does not have enough properties"}`);
  return Object.fromEntries(keys.map((k) => [k, v[k] as string]));
}

function metadata(c: Ctx, s: Server, key: string | undefined, m: string): EmulatorResponse {
  const compute = c.model.compute;
  if (key === undefined) {
    if (m === "GET") return reply(200, { metadata: { ...s.metadata } });
    // POST merges (create or update items), PUT replaces them all; both answer the server's whole metadata.
    if (m === "POST" || m === "PUT") {
      const body = jsonBody(c.req, bad);
      for (const k of Object.keys(body)) if (k !== "metadata") throw bad(`Additional properties are not allowed ('${k}' was unexpected)`);
      return reply(200, { metadata: compute.updateMetadata(s, metadataItems(body, "metadata"), { replace: m === "PUT" }) });
    }
  } else {
    if (m === "GET") {
      if (!Object.hasOwn(s.metadata, key)) throw new NovaItemNotFound("Metadata item was not found");
      return reply(200, { meta: { [key]: s.metadata[key] } });
    }
    if (m === "PUT") {
      const body = jsonBody(c.req, bad);
      for (const k of Object.keys(body)) if (k !== "meta") throw bad(`Additional properties are not allowed ('${k}' was unexpected)`);
      const item = metadataItems(body, "meta", { exactlyOne: true });
      if (!Object.hasOwn(item, key)) throw bad("Request body and URI mismatch");
      compute.updateMetadata(s, item);
      return reply(200, { meta: item });
    }
    if (m === "DELETE") {
      compute.deleteMetadata(s, key);
      return reply(204, undefined);
    }
  }
  throw new NovaFault(405, "The method specified is not allowed for this resource.");
}

// ---- routing ----

export function compute(c: Call): EmulatorResponse {
  const [version, ...rest0] = c.segments;
  const m = c.req.method;
  // versions.inc: the version documents need no authentication.
  if (version === undefined && m === "GET") return reply(200, { versions: [versionDoc(c, false)] });
  if (version !== "v2.1") throw new NovaItemNotFound("The resource could not be found.");
  if (!rest0.length && m === "GET") return reply(200, { version: versionDoc(c, true) });
  const token = authToken(c);
  if (!token.projectId) throw new NovaFault(403, "Policy doesn't allow this action: a project-scoped token is required.");
  let v: Microversion;
  try {
    v = negotiate(c);
  } catch (e) {
    // nova wsgi.py Fault: a 406 still names the version asked for.
    const mv = (e as { microversion?: Microversion }).microversion;
    if (mv && e instanceof NovaFault) e.extraHeaders = versionHeaders(mv);
    throw e;
  }
  // Legacy URLs carry the project id after the version (…/v2.1/{project_id}/servers).
  const rest = rest0[0] === token.projectId ? rest0.slice(1) : rest0;
  const ctx: Ctx = { ...c, v, token, projectId: token.projectId, api: `${c.base}/compute/v2.1` };
  try {
    const res = route(ctx, rest, m);
    res.headers = { ...versionHeaders(v), ...(res.headers ?? {}) };
    return res;
  } catch (e) {
    if (e instanceof NovaFault) e.extraHeaders = versionHeaders(v);
    throw e;
  }
}

function route(c: Ctx, p: string[], m: string): EmulatorResponse {
  const compute = c.model.compute;
  const [coll, id, sub, ...more] = p;
  if (coll === "servers") {
    if (id === undefined) {
      if (m === "GET") return listServers(c, false);
      if (m === "POST") return createServer(c);
    } else if (id === "detail" && sub === undefined && m === "GET") {
      return listServers(c, true);
    } else if (sub === undefined) {
      const s = compute.getServer(id, c.projectId);
      if (m === "GET") return reply(200, { server: renderServer(c, s) });
      if (m === "DELETE") {
        compute.deleteServer(s); // servers.inc delete: 204
        return reply(204, undefined);
      }
    } else if (sub === "action" && !more.length && m === "POST") {
      return action(c, compute.getServer(id, c.projectId));
    } else if (sub === "metadata" && more.length <= 1) {
      return metadata(c, compute.getServer(id, c.projectId), more[0], m);
    }
  }
  if (coll === "flavors") {
    if (id === undefined && m === "GET") return listFlavors(c, false);
    if (id === "detail" && sub === undefined && m === "GET") return listFlavors(c, true);
    if (id !== undefined && sub === undefined && m === "GET") return reply(200, { flavor: renderFlavor(c, compute.getFlavor(id), true) });
    if (id !== undefined && sub === "os-extra-specs" && m === "GET") return reply(200, { extra_specs: { ...compute.getFlavor(id).extraSpecs } });
  }
  if (coll === "os-keypairs" && m === "GET") {
    const render = (k: { name: string; publicKey: string; fingerprint: string; type: string }) => ({ name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...(c.v.atLeast("2.2") ? { type: k.type } : {}) });
    if (id === undefined) return reply(200, { keypairs: [...compute.keypairs.values()].map((k) => ({ keypair: render(k) })) });
    const k = compute.keypairs.get(id);
    if (!k) throw new NovaItemNotFound(`Keypair ${id} not found for user ${c.token.userId}`);
    return reply(200, { keypair: { ...render(k), user_id: c.token.userId, id: 1, deleted: false, created_at: iso(c.model.clock.now()), updated_at: null, deleted_at: null } });
  }
  throw new NovaItemNotFound("The resource could not be found.");
}
