// Neutron at /network: version discovery and, under /v2.0, networks, subnets and ports (list with
// attribute filters and `fields`, show) — what booting a server on a network needs. From the neutron-lib
// api-ref (v2/versions.inc, networks.inc, subnets.inc, ports.inc, filtering-list.inc, samples).
import type { EmulatorResponse } from "../../service";
import { NeutronError } from "../errors";
import { authToken, iso, reply, type Call } from "../http";
import type { Network, Port, Subnet } from "./model";

function renderNetwork(n: Network) {
  return {
    admin_state_up: true,
    availability_zone_hints: [],
    availability_zones: ["nova"],
    created_at: iso(n.createdAt),
    description: "",
    dns_domain: "",
    id: n.id,
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    is_default: false,
    l2_adjacency: true,
    mtu: 1442,
    name: n.name,
    port_security_enabled: true,
    project_id: n.projectId,
    qos_policy_id: null,
    revision_number: 1,
    "router:external": n.external,
    shared: n.shared,
    status: "ACTIVE",
    subnets: [...n.subnetIds],
    tags: [],
    tenant_id: n.projectId,
    updated_at: iso(n.createdAt),
  };
}

function renderSubnet(s: Subnet) {
  const [base] = s.cidr.split("/");
  const prefix = base.split(".").slice(0, 3).join(".");
  const size = 2 ** (32 - Number(s.cidr.split("/")[1]));
  const last = Number(base.split(".")[3]) + size - 2;
  return {
    allocation_pools: [{ start: `${prefix}.2`, end: `${prefix}.${last}` }],
    cidr: s.cidr,
    created_at: iso(s.createdAt),
    description: "",
    dns_nameservers: [],
    dns_publish_fixed_ip: false,
    enable_dhcp: true,
    gateway_ip: s.gatewayIp,
    host_routes: [],
    id: s.id,
    ip_version: 4,
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    name: s.name,
    network_id: s.networkId,
    project_id: s.projectId,
    revision_number: 0,
    segment_id: null,
    service_types: [],
    subnetpool_id: null,
    tags: [],
    tenant_id: s.projectId,
    updated_at: iso(s.createdAt),
  };
}

function renderPort(p: Port) {
  return {
    admin_state_up: true,
    allowed_address_pairs: [],
    "binding:vnic_type": "normal",
    created_at: iso(p.createdAt),
    description: "",
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    extra_dhcp_opts: [],
    fixed_ips: p.fixedIps.map((ip) => ({ ...ip })),
    id: p.id,
    mac_address: p.macAddress,
    name: "",
    network_id: p.networkId,
    port_security_enabled: true,
    project_id: p.projectId,
    revision_number: 1,
    security_groups: [],
    status: "ACTIVE",
    tags: [],
    tenant_id: p.projectId,
    updated_at: iso(p.createdAt),
  };
}

/** filtering-list.inc: any attribute filters (several values of one = any of them); `fields` picks attributes. */
const CONTROL = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);

function list(c: Call, key: string, items: Record<string, unknown>[]): EmulatorResponse {
  let out = items;
  for (const k of c.query.keys()) {
    if (CONTROL.has(k)) continue;
    const wanted = c.query.all(k);
    // neutron filter-validation: a filter that is not an attribute is 400.
    if (items.length && !Object.hasOwn(items[0], k)) throw new NeutronError(400, "HTTPBadRequest", `${k} is an invalid filter for ${key}.`);
    out = out.filter((i) => Object.hasOwn(i, k) && wanted.some((w) => (typeof i[k] === "boolean" ? String(i[k]) === w.toLowerCase() : String(i[k]) === w)));
  }
  const fields = c.query.all("fields");
  if (fields.length) out = out.map((i) => Object.fromEntries(fields.filter((f) => Object.hasOwn(i, f)).map((f) => [f, i[f]])));
  return reply(200, { [key]: out });
}

function show(c: Call, key: string, item: Record<string, unknown>): EmulatorResponse {
  const fields = c.query.all("fields");
  return reply(200, { [key]: fields.length ? Object.fromEntries(fields.filter((f) => Object.hasOwn(item, f)).map((f) => [f, item[f]])) : item });
}

export function network(c: Call): EmulatorResponse {
  const [version, coll, id, ...more] = c.segments;
  const m = c.req.method;
  // versions.inc: GET / lists the versions (200) without authentication.
  if (version === undefined && m === "GET") return reply(200, { versions: [{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${c.base}/network/v2.0/` }] }] });
  if (version !== "v2.0") throw new NeutronError(404, "HTTPNotFound", "The resource could not be found.");
  const token = authToken(c);
  const projectId = token.projectId ?? "";
  const net = c.model.network;
  if (m !== "GET" || more.length) throw new NeutronError(404, "HTTPNotFound", "The resource could not be found.");
  const visibleNets = [...net.networks.values()].filter((n) => n.projectId === projectId || n.shared || n.external);
  const visibleIds = new Set(visibleNets.map((n) => n.id));
  if (coll === undefined) {
    return reply(200, { resources: ["network", "subnet", "port"].map((r) => ({ name: r, collection: `${r}s`, links: [{ rel: "self", href: `${c.base}/network/v2.0/${r}s` }] })) });
  }
  if (coll === "networks") {
    if (id === undefined) return list(c, "networks", visibleNets.map(renderNetwork));
    if (!visibleIds.has(id)) throw new NeutronError(404, "NetworkNotFound", `Network ${id} could not be found.`);
    return show(c, "network", renderNetwork(net.getNetwork(id)));
  }
  if (coll === "subnets") {
    const subnets = [...net.subnets.values()].filter((s) => visibleIds.has(s.networkId));
    if (id === undefined) return list(c, "subnets", subnets.map(renderSubnet));
    const s = subnets.find((x) => x.id === id);
    if (!s) throw new NeutronError(404, "SubnetNotFound", `Subnet ${id} could not be found.`);
    return show(c, "subnet", renderSubnet(s));
  }
  if (coll === "ports") {
    const ports = [...net.ports.values()].filter((p) => p.projectId === projectId);
    if (id === undefined) return list(c, "ports", ports.map(renderPort));
    const p = ports.find((x) => x.id === id);
    if (!p) throw new NeutronError(404, "PortNotFound", `Port ${id} could not be found.`);
    return show(c, "port", renderPort(p));
  }
  if (coll === "extensions" && id === undefined) return reply(200, { extensions: [] });
  throw new NeutronError(404, "HTTPNotFound", "The resource could not be found.");
}
