// The emulator's OpenStack cloud over plain HTTP: Keystone tokens (issue, validate, revoke, expiry on
// the stepped clock), Nova microversions and errors in Nova's shape, server state machines with their
// task states, createBackup with rotation, rescue's second disk, rebuild, Glance filters, Neutron, the
// admin routes and their validation. The emulated clock stands (almost) still; tests step it.
import { describe, expect, it } from "vitest";
import { OPENSTACK_SEED } from "../../emulator";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator({ timeScale: 1e-6 });

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function http(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
  if (opts.token) headers["x-auth-token"] = opts.token;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${ctx.emu.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const passwordAuth = (scope: unknown = { project: { name: "demo", domain: { name: "Default" } } }, password: string = OPENSTACK_SEED.password) => ({
  auth: { identity: { methods: ["password"], password: { user: { name: "admin", domain: { name: "Default" }, password } } }, ...(scope ? { scope } : {}) },
});

async function login(): Promise<string> {
  const r = await http("POST", "/identity/v3/auth/tokens", { body: passwordAuth() });
  expect(r.status).toBe(201);
  return r.headers.get("x-subject-token")!;
}

const advance = (seconds: number) => ctx.emu.admin.clock({ advanceSeconds: seconds });
const admin = (path: string, method = "GET", body?: unknown) => ctx.emu.admin.request(`openstack/${path}`, method, body);
const mv = (v: string) => ({ "OpenStack-API-Version": `compute ${v}` });
const nova = (method: string, path: string, token: string, body?: unknown, version = "2.96") => http(method, `/compute/v2.1${path}`, { token, body, headers: mv(version) });
const glance = (method: string, path: string, token: string) => http(method, `/image${path}`, { token });

async function bootServer(token: string, name = "vm", extra: Record<string, unknown> = {}): Promise<string> {
  const nets = await http("GET", "/network/v2.0/networks?name=private", { token });
  const r = await nova("POST", "/servers", token, { server: { name, imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: [{ uuid: nets.body.networks[0].id }], ...extra } });
  expect(r.status).toBe(202);
  await advance(10); // buildSeconds
  return r.body.server.id;
}

const server = async (token: string, id: string, version = "2.96") => (await nova("GET", `/servers/${id}`, token, undefined, version)).body.server;
const act = (token: string, id: string, body: unknown, version = "2.96") => nova("POST", `/servers/${id}/action`, token, body, version);

describe("version discovery (no token needed)", () => {
  it("answers each service's version documents at its path prefix", async () => {
    const id = await http("GET", "/identity/");
    expect(id.status).toBe(300);
    expect(id.body.versions.values[0]).toMatchObject({ id: "v3.14", status: "stable", links: [{ rel: "self", href: `${ctx.emu.url}/identity/v3/` }] });
    expect((await http("GET", "/identity/v3")).body.version.id).toBe("v3.14");
    const compute = await http("GET", "/compute/");
    expect(compute.status).toBe(200);
    expect(compute.body.versions).toEqual([expect.objectContaining({ id: "v2.1", status: "CURRENT", version: "2.96", min_version: "2.1" })]);
    expect((await http("GET", "/compute/v2.1")).body.version).toMatchObject({ id: "v2.1", version: "2.96", min_version: "2.1" });
    const image = await http("GET", "/image/");
    expect(image.status).toBe(300);
    expect(image.body.versions[0]).toMatchObject({ status: "CURRENT", links: [{ href: `${ctx.emu.url}/image/v2/` }] });
    expect((await http("GET", "/network/")).body.versions).toEqual([{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${ctx.emu.url}/network/v2.0/` }] }]);
  });
});

describe("Keystone v3", () => {
  it("issues a project-scoped token with the catalog pointing at this emulator", async () => {
    const r = await http("POST", "/identity/v3/auth/tokens", { body: passwordAuth() });
    expect(r.status).toBe(201);
    expect(r.headers.get("x-subject-token")).toMatch(/^gAAAAA/);
    const t = r.body.token;
    expect(t).toMatchObject({ methods: ["password"], user: { name: "admin", domain: { id: "default", name: "Default" } }, project: { name: "demo", domain: { name: "Default" } }, is_domain: false });
    expect(Date.parse(t.expires_at) - Date.parse(t.issued_at)).toBe(3600_000);
    const byType = Object.fromEntries(t.catalog.map((s: any) => [s.type, s]));
    expect(Object.keys(byType).sort()).toEqual(["compute", "identity", "image", "network"]);
    expect(byType.compute.endpoints.map((e: any) => [e.interface, e.region, e.url])).toEqual([
      ["public", "RegionOne", `${ctx.emu.url}/compute/v2.1`],
      ["internal", "RegionOne", `${ctx.emu.url}/compute/v2.1`],
    ]);
    // Project scope by id, too; unscoped tokens carry no catalog.
    const byId = await http("POST", "/identity/v3/auth/tokens", { body: passwordAuth({ project: { id: t.project.id } }) });
    expect(byId.body.token.project.id).toBe(t.project.id);
    const unscoped = await http("POST", "/identity/v3/auth/tokens", { body: passwordAuth(null) });
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.catalog).toBeUndefined();
  });

  it("refuses wrong credentials with 401 in Keystone's error shape", async () => {
    for (const body of [passwordAuth(undefined, "wrong"), passwordAuth({ project: { name: "nope", domain: { name: "Default" } } })]) {
      const r = await http("POST", "/identity/v3/auth/tokens", { body });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
    }
    const malformed = await http("POST", "/identity/v3/auth/tokens", { body: { auth: {} } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 400, title: "Bad Request" });
  });

  it("authenticates the application credential by id, or by name with its user", async () => {
    const ac = OPENSTACK_SEED.applicationCredential;
    const byId = await http("POST", "/identity/v3/auth/tokens", { body: { auth: { identity: { methods: ["application_credential"], application_credential: { id: ac.id, secret: ac.secret } } } } });
    expect(byId.status).toBe(201);
    expect(byId.body.token).toMatchObject({ methods: ["application_credential"], application_credential: { id: ac.id, name: ac.name, restricted: true }, project: { name: "demo" } });
    const byName = await http("POST", "/identity/v3/auth/tokens", { body: { auth: { identity: { methods: ["application_credential"], application_credential: { name: ac.name, secret: ac.secret, user: { name: "admin", domain: { name: "Default" } } } } } } });
    expect(byName.status).toBe(201);
    const wrong = await http("POST", "/identity/v3/auth/tokens", { body: { auth: { identity: { methods: ["application_credential"], application_credential: { id: ac.id, secret: "nope" } } } } });
    expect(wrong.status).toBe(401);
  });

  it("validates (GET, HEAD) and revokes (DELETE) tokens", async () => {
    const caller = await login();
    const subject = await login();
    const got = await http("GET", "/identity/v3/auth/tokens", { token: caller, headers: { "x-subject-token": subject } });
    expect(got.status).toBe(200);
    expect(got.headers.get("x-subject-token")).toBe(subject);
    expect(got.body.token.project.name).toBe("demo");
    expect((await http("HEAD", "/identity/v3/auth/tokens", { token: caller, headers: { "x-subject-token": subject } })).status).toBe(200);
    expect((await http("DELETE", "/identity/v3/auth/tokens", { token: caller, headers: { "x-subject-token": subject } })).status).toBe(204);
    const gone = await http("GET", "/identity/v3/auth/tokens", { token: caller, headers: { "x-subject-token": subject } });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 404, title: "Not Found" });
    // A revoked token no longer opens the other services.
    expect((await nova("GET", "/servers", subject)).status).toBe(401);
  });

  it("expires tokens on the emulated clock: 401 from every service after tokenLifetimeSeconds", async () => {
    const token = await login();
    expect((await nova("GET", "/servers", token)).status).toBe(200);
    await advance(3599);
    expect((await nova("GET", "/servers", token)).status).toBe(200);
    await advance(1);
    for (const path of ["/compute/v2.1/servers", "/image/v2/images", "/network/v2.0/networks"]) {
      const r = await http("GET", path, { token });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
      expect(r.headers.get("www-authenticate")).toBe(`Keystone uri="${ctx.emu.url}/identity"`);
    }
    expect((await http("GET", "/identity/v3/auth/tokens", { token, headers: { "x-subject-token": token } })).status).toBe(401);
  });
});

describe("Nova: authentication, microversions and errors", () => {
  it("answers 401 without a token or with a bad one", async () => {
    expect((await http("GET", "/compute/v2.1/servers")).status).toBe(401);
    const bad = await http("GET", "/compute/v2.1/servers", { token: "gAAAAAnot-a-token" });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe(401);
  });

  it("negotiates the microversion: none is 2.1, latest the maximum, both headers echoed, out of range 406", async () => {
    const token = await login();
    const none = await http("GET", "/compute/v2.1/flavors/1", { token });
    expect(none.headers.get("openstack-api-version")).toBe("compute 2.1");
    expect(none.headers.get("x-openstack-nova-api-version")).toBe("2.1");
    expect(none.body.flavor.description).toBeUndefined();
    expect(none.body.flavor.swap).toBe("");
    const latest = await http("GET", "/compute/v2.1/flavors/1", { token, headers: mv("latest") });
    expect(latest.headers.get("openstack-api-version")).toBe("compute 2.96");
    expect(latest.body.flavor).toMatchObject({ description: null, swap: 0, extra_specs: {} });
    const legacy = await http("GET", "/compute/v2.1/flavors/1", { token, headers: { "X-OpenStack-Nova-API-Version": "2.55" } });
    expect(legacy.headers.get("x-openstack-nova-api-version")).toBe("2.55");
    expect(legacy.headers.get("vary")).toBe("OpenStack-API-Version, X-OpenStack-Nova-API-Version");
    for (const v of ["2.97", "3.0", "2.0"]) {
      const r = await http("GET", "/compute/v2.1/servers", { token, headers: mv(v) });
      expect(r.status).toBe(406);
      expect(r.body).toEqual({ computeFault: { code: 406, message: `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is 2.96.` } });
      expect(r.headers.get("openstack-api-version")).toBe(`compute ${v}`);
    }
    const malformed = await http("GET", "/compute/v2.1/servers", { token, headers: mv("two") });
    expect(malformed.status).toBe(400);
    expect(malformed.body.badRequest.message).toContain("is of invalid format");
  });

  it("answers an unknown server 404 itemNotFound", async () => {
    const token = await login();
    const id = "11111111-2222-3333-4444-555555555555";
    for (const [method, path, body] of [["GET", `/servers/${id}`], ["DELETE", `/servers/${id}`], ["POST", `/servers/${id}/action`, { suspend: null }]] as const) {
      const r = await nova(method, path, token, body);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    }
  });

  it("validates create: networks required from 2.37 (auto/none), optional before", async () => {
    const token = await login();
    const base = { name: "v", imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1" };
    const missing = await nova("POST", "/servers", token, { server: base }, "2.37");
    expect(missing.status).toBe(400);
    expect(missing.body.badRequest.message).toBe("'networks' is a required property");
    const old = await nova("POST", "/servers", token, { server: base }, "2.36");
    expect(old.status).toBe(202);
    const none = await nova("POST", "/servers", token, { server: { ...base, networks: "none" } }, "2.37");
    const auto = await nova("POST", "/servers", token, { server: { ...base, networks: "auto" } }, "2.37");
    expect((await nova("POST", "/servers", token, { server: { ...base, networks: "auto" } }, "2.36")).status).toBe(400);
    await advance(10);
    expect(Object.keys((await server(token, old.body.server.id)).addresses)).toEqual(["private"]);
    expect((await server(token, none.body.server.id)).addresses).toEqual({});
    expect(Object.keys((await server(token, auto.body.server.id)).addresses)).toEqual(["private"]);
    const badImage = await nova("POST", "/servers", token, { server: { ...base, imageRef: "nope", networks: "none" } });
    expect(badImage.body).toEqual({ badRequest: { code: 400, message: "Can not find requested image" } });
    expect((await nova("POST", "/servers", token, { server: { ...base, flavorRef: "999", networks: "none" } })).body.badRequest.message).toBe("Flavor 999 could not be found.");
    expect((await nova("POST", "/servers", token, { server: { ...base, key_name: "nope", networks: "none" } })).body.badRequest.message).toBe("Invalid key_name provided.");
  });
});

describe("Nova: server state machines on the emulated clock", () => {
  it("builds: BUILD with task states and power NOSTATE, then ACTIVE; the port holds a fixed IP", async () => {
    const token = await login();
    const r = await nova("POST", "/servers", token, { server: { name: "web 1", imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "auto", metadata: { a: "b" } } });
    expect(r.status).toBe(202);
    const id = r.body.server.id;
    expect(r.headers.get("location")).toBe(`${ctx.emu.url}/compute/v2.1/servers/${id}`);
    expect(r.body.server).toMatchObject({ id, "OS-DCF:diskConfig": "MANUAL", adminPass: expect.any(String) });
    expect(await server(token, id)).toMatchObject({ status: "BUILD", "OS-EXT-STS:vm_state": "building", "OS-EXT-STS:task_state": "scheduling", "OS-EXT-STS:power_state": 0, "OS-SRV-USG:launched_at": null });
    await advance(5);
    expect((await server(token, id))["OS-EXT-STS:task_state"]).toBe("block_device_mapping");
    await advance(5);
    const s = await server(token, id);
    expect(s).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": null, "OS-EXT-STS:power_state": 1, metadata: { a: "b" }, "OS-EXT-SRV-ATTR:hostname": "web-1", pinned_availability_zone: null });
    expect(s["OS-SRV-USG:launched_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(s.flavor).toMatchObject({ original_name: "m1.tiny", vcpus: 1, ram: 512, disk: 1 });
    expect((await server(token, id, "2.46")).flavor).toMatchObject({ id: "1" });
    const ports = await http("GET", `/network/v2.0/ports?device_id=${id}`, { token });
    expect(ports.body.ports).toEqual([expect.objectContaining({ device_id: id, device_owner: "compute:nova", fixed_ips: [expect.objectContaining({ ip_address: s.addresses.private[0].addr })] })]);
    // Listing: name is a regular expression; status filters; detail shows full servers.
    expect((await nova("GET", "/servers?name=^web", token)).body.servers).toEqual([{ id, name: "web 1", links: expect.any(Array) }]);
    expect((await nova("GET", "/servers/detail?status=SHUTOFF", token)).body.servers).toEqual([]);
    expect((await nova("GET", "/servers/detail?status=ACTIVE", token)).body.servers[0].id).toBe(id);
    expect((await nova("GET", "/servers?status=BOGUS", token)).status).toBe(400);
    expect((await nova("GET", "/servers?bogus=1", token)).status).toBe(400); // 2.75: unknown query parameters
    expect((await nova("GET", "/servers?bogus=1", token, undefined, "2.74")).status).toBe(200);
  });

  it("refuses an action in the wrong vm_state or task_state with 409 conflictingRequest, then completes it", async () => {
    const token = await login();
    const id = await bootServer(token);
    const resume = await act(token, id, { resume: null });
    expect(resume.status).toBe(409);
    expect(resume.body).toEqual({ conflictingRequest: { code: 409, message: `Cannot 'resume' instance ${id} while it is in vm_state active` } });
    expect((await act(token, id, { suspend: null })).status).toBe(202);
    expect(await server(token, id)).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": "suspending" });
    const again = await act(token, id, { pause: null });
    expect(again.body.conflictingRequest.message).toBe(`Cannot 'pause' instance ${id} while it is in task_state suspending`);
    await advance(3);
    expect(await server(token, id)).toMatchObject({ status: "SUSPENDED", "OS-EXT-STS:vm_state": "suspended", "OS-EXT-STS:task_state": null, "OS-EXT-STS:power_state": 7 });
    expect((await act(token, id, { "os-stop": null })).status).toBe(409);
    expect((await act(token, id, { resume: null })).status).toBe(202);
    await advance(3);
    expect((await act(token, id, { pause: null })).status).toBe(202);
    await advance(3);
    expect(await server(token, id)).toMatchObject({ status: "PAUSED", "OS-EXT-STS:power_state": 3 });
    expect((await act(token, id, { unpause: null })).status).toBe(202);
    await advance(3);
    expect((await act(token, id, { "os-stop": null })).status).toBe(202);
    expect((await server(token, id))["OS-EXT-STS:task_state"]).toBe("powering-off");
    await advance(3);
    expect(await server(token, id)).toMatchObject({ status: "SHUTOFF", "OS-EXT-STS:power_state": 4 });
    // SOFT reboot only from ACTIVE; HARD also from SHUTOFF.
    expect((await act(token, id, { reboot: { type: "SOFT" } })).status).toBe(409);
    expect((await act(token, id, { reboot: { type: "HARD" } })).status).toBe(202);
    // nova common.py _STATE_MAP: a stopped server rebooting still shows SHUTOFF (HARD_REBOOT is for active ones).
    expect(await server(token, id)).toMatchObject({ status: "SHUTOFF", "OS-EXT-STS:task_state": "rebooting_hard" });
    await advance(3);
    expect((await server(token, id)).status).toBe("ACTIVE");
    expect((await act(token, id, { reboot: { type: "SOFT" } })).status).toBe(202);
    expect(await server(token, id)).toMatchObject({ status: "REBOOT", "OS-EXT-STS:task_state": "rebooting" });
    await advance(3);
    expect((await act(token, id, { frobnicate: null })).body).toEqual({ itemNotFound: { code: 404, message: "There is no such action: frobnicate" } });
    // Delete: task deleting, then gone (404).
    expect((await nova("DELETE", `/servers/${id}`, token)).status).toBe(204);
    expect((await server(token, id))["OS-EXT-STS:task_state"]).toBe("deleting");
    await advance(2);
    expect((await nova("GET", `/servers/${id}`, token)).status).toBe(404);
    expect((await http("GET", `/network/v2.0/ports?device_id=${id}`, { token })).body.ports).toEqual([]);
  });

  it("rescue boots from the rescue image with the server's disk as the second disk; unrescue keeps what was fixed there", async () => {
    const token = await login();
    const id = await bootServer(token);
    await admin("disk", "POST", { serverId: id, path: "/etc/fstab", content: "broken" });
    expect((await act(token, id, { unrescue: null })).body.conflictingRequest.message).toBe(`Cannot 'unrescue' instance ${id} while it is in vm_state active`);
    expect((await act(token, id, { rescue: { rescue_image_ref: "nope" } })).body).toEqual({ badRequest: { code: 400, message: "Requested rescue image 'nope' is not supported" } });
    const r = await act(token, id, { rescue: { rescue_image_ref: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", adminPass: "s3cret" } });
    expect(r).toMatchObject({ status: 200, body: { adminPass: "s3cret" } });
    expect(await server(token, id)).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": "rescuing" });
    await advance(3);
    expect(await server(token, id)).toMatchObject({ status: "RESCUE", "OS-EXT-STS:vm_state": "rescued" });
    const first = await admin(`disk?serverId=${id}&disk=0`);
    expect(first).toMatchObject({ disks: 2, files: { "/etc/hostname": "rescue\n" } });
    expect((await admin(`disk?serverId=${id}&disk=1`)).files["/etc/fstab"]).toBe("broken");
    await admin("disk", "POST", { serverId: id, disk: 1, path: "/etc/fstab", content: "fixed" });
    expect((await act(token, id, { unrescue: null })).status).toBe(202);
    await advance(3);
    expect((await server(token, id)).status).toBe("ACTIVE");
    expect(await admin(`disk?serverId=${id}`)).toMatchObject({ disks: 1, files: { "/etc/fstab": "fixed", "/etc/hostname": "cirros\n" } });
  });
});

describe("Nova server metadata", () => {
  it("lists, merges (POST), replaces (PUT), shows, sets one item and deletes it; refuses changes while ERROR or a task runs, and beyond the quota", async () => {
    const token = await login();
    const id = await bootServer(token, "meta", { metadata: { app: "web" } });
    const md = (method: string, path: string, body?: unknown) => nova(method, `/servers/${id}/metadata${path}`, token, body);
    expect((await md("GET", "")).body).toEqual({ metadata: { app: "web" } });
    expect((await md("POST", "", { metadata: { "pulumi-recovery:backup:daily": "every=1d;rot=7" } })).body).toEqual({ metadata: { app: "web", "pulumi-recovery:backup:daily": "every=1d;rot=7" } });
    const one = await md("PUT", "/pulumi-recovery:backup:daily", { meta: { "pulumi-recovery:backup:daily": "every=12h;rot=3" } });
    expect([one.status, one.body]).toEqual([200, { meta: { "pulumi-recovery:backup:daily": "every=12h;rot=3" } }]);
    expect((await md("GET", "/pulumi-recovery:backup:daily")).body).toEqual({ meta: { "pulumi-recovery:backup:daily": "every=12h;rot=3" } });
    expect((await server(token, id)).metadata).toEqual({ app: "web", "pulumi-recovery:backup:daily": "every=12h;rot=3" });
    const mismatch = await md("PUT", "/a", { meta: { b: "1" } });
    expect([mismatch.status, mismatch.body.badRequest?.message]).toEqual([400, "Request body and URI mismatch"]);
    expect((await md("PUT", "/a", { meta: { a: "1", b: "2" } })).status).toBe(400);
    expect((await md("POST", "", { metadata: { "bad/key": "x" } })).status).toBe(400);
    expect((await md("POST", "", { metadata: { k: "x".repeat(256) } })).status).toBe(400);
    expect((await md("DELETE", "/pulumi-recovery:backup:daily")).status).toBe(204);
    const gone = await md("GET", "/pulumi-recovery:backup:daily");
    expect([gone.status, gone.body]).toEqual([404, { itemNotFound: { code: 404, message: "Metadata item was not found" } }]);
    expect((await md("PUT", "", { metadata: { only: "this" } })).body).toEqual({ metadata: { only: "this" } });
    // A backup in flight (task_state image_backup): 409, as nova's check_instance_state(task_state=None).
    expect((await act(token, id, { createBackup: { name: "b", backup_type: "daily", rotation: 1 } })).status).toBe(202);
    const busy = await md("POST", "", { metadata: { x: "1" } });
    expect([busy.status, busy.body.conflictingRequest?.message]).toEqual([409, `Cannot 'update metadata' instance ${id} while it is in task_state image_backup`]);
    await advance(60);
    await admin("fail", "POST", { serverId: id, state: "ERROR" });
    expect((await md("DELETE", "/only")).body.conflictingRequest.message).toBe(`Cannot 'delete metadata' instance ${id} while it is in vm_state error`);
    expect((await md("GET", "")).status).toBe(200);
    const id2 = await bootServer(token, "meta2");
    await admin("settings", "POST", { metadataItems: 2 });
    expect((await nova("POST", `/servers/${id2}/metadata`, token, { metadata: { a: "1", b: "2" } })).status).toBe(200);
    const over = await nova("POST", `/servers/${id2}/metadata`, token, { metadata: { c: "3" } });
    expect([over.status, over.body]).toEqual([403, { forbidden: { code: 403, message: "Maximum number of metadata items exceeds 2" } }]);
  });
});

describe("Nova createBackup and Glance", () => {
  it("answers image_id from 2.45 and a Location header before (not for rotation 0)", async () => {
    const token = await login();
    const id = await bootServer(token);
    const old = await act(token, id, { createBackup: { name: "b1", backup_type: "daily", rotation: 3 } }, "2.44");
    expect(old.status).toBe(202);
    expect(old.body).toBeUndefined();
    const imageId = old.headers.get("location")!.split("/").pop()!;
    expect(old.headers.get("location")).toBe(`${ctx.emu.url}/compute/v2.1/images/${imageId}`);
    expect((await glance("GET", `/v2/images/${imageId}`, token)).body).toMatchObject({ name: "b1", status: "queued", image_type: "backup", backup_type: "daily", instance_uuid: id, visibility: "private", size: null });
    await advance(10);
    const zero = await act(token, id, { createBackup: { name: "b0", backup_type: "once", rotation: 0 } }, "2.44");
    expect(zero.headers.get("location")).toBeNull();
    await advance(10);
    const now = await act(token, id, { createBackup: { name: "b2", backup_type: "daily", rotation: "3" } }, "2.45");
    expect(now.body).toEqual({ image_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await act(token, id, { createBackup: { name: "b3", backup_type: "daily", rotation: -1 } })).status).toBe(400);
    expect((await act(token, id, { createBackup: { name: "b3", backup_type: "daily" } })).body.badRequest.message).toBe("'rotation' is a required property");
  });

  it("goes through image_backup → image_pending_upload → image_uploading while Glance shows queued → saving → active, then rotates", async () => {
    const token = await login();
    const id = await bootServer(token);
    await admin("disk", "POST", { serverId: id, path: "/data/v", content: "1" });
    const backup = async (name: string, type = "daily") => (await act(token, id, { createBackup: { name, backup_type: type, rotation: 2 } })).body.image_id as string;
    const b1 = await backup("b1");
    const states: [string | null, string][] = [];
    for (let i = 0; i < 4; i++) {
      states.push([(await server(token, id))["OS-EXT-STS:task_state"], (await glance("GET", `/v2/images/${b1}`, token)).body.status]);
      await advance(1.5); // actionSeconds 3: 1.5 s snapshot, 1.5 s pending upload; m1.tiny 1 GiB × 2 s upload
    }
    expect(states).toEqual([
      ["image_backup", "queued"],
      ["image_pending_upload", "queued"],
      ["image_uploading", "saving"],
      ["image_uploading", "saving"],
    ]);
    await advance(0.5);
    expect((await server(token, id))["OS-EXT-STS:task_state"]).toBeNull();
    expect((await glance("GET", `/v2/images/${b1}`, token)).body).toMatchObject({ status: "active", size: expect.any(Number), checksum: expect.any(String) });
    // A second backup while one is running is refused by its task state.
    const b2 = await backup("b2");
    expect((await act(token, id, { createBackup: { name: "x", backup_type: "daily", rotation: 2 } })).body.conflictingRequest.message).toBe(`Cannot 'createBackup' instance ${id} while it is in task_state image_backup`);
    await advance(5);
    await admin("disk", "POST", { serverId: id, path: "/data/v", content: "3" });
    const weekly = await backup("w1", "weekly");
    await advance(5);
    const b3 = await backup("b3");
    // Rotation happens when the third daily backup is uploaded, not before.
    expect((await glance("GET", `/v2/images/${b1}`, token)).status).toBe(200);
    await advance(5);
    expect((await glance("GET", `/v2/images/${b1}`, token)).body).toEqual({ code: "404 Not Found", title: "Not Found", message: `No image found with ID ${b1}` });
    const listed = await glance("GET", `/v2/images?image_type=backup&instance_uuid=${id}&sort=name:asc`, token);
    expect(listed.body.images.map((i: any) => i.name)).toEqual(["b2", "b3", "w1"]);
    expect((await glance("GET", `/v2/images?backup_type=daily&name=in:b2,b3,nope`, token)).body.images.map((i: any) => i.id).sort()).toEqual([b2, b3].sort());
    expect((await glance("GET", "/v2/images?visibility=public", token)).body.images.map((i: any) => i.name).sort()).toEqual(["cirros", "rescue"]);
    expect((await admin(`image-disk?imageId=${b3}`)).files["/data/v"]).toBe("3");
    expect((await admin(`image-disk?imageId=${b2}`)).files["/data/v"]).toBe("1");
    // Paging: a full page carries `next`, kept filters and the marker.
    const page = await glance("GET", "/v2/images?limit=2&visibility=all", token);
    expect(page.body.images).toHaveLength(2);
    expect(page.body.next).toBe(`/v2/images?limit=2&visibility=all&marker=${page.body.images[1].id}`);
    // Delete: 204 for the owner, 403 for a public image of another project.
    expect((await glance("DELETE", `/v2/images/${weekly}`, token)).status).toBe(204);
    expect((await glance("DELETE", "/v2/images/0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", token)).status).toBe(403);
  });

  it("copies the disk when the host snapshots it, before the upload (or at the call, as set)", async () => {
    const token = await login();
    const id = await bootServer(token);
    const write = (content: string) => admin("disk", "POST", { serverId: id, path: "/data/v", content });
    await write("at-call");
    const b1 = (await act(token, id, { createBackup: { name: "b1", backup_type: "daily", rotation: 5 } })).body.image_id;
    await write("during-image_backup");
    await advance(3); // image_backup and image_pending_upload are over: the snapshot is taken
    await write("during-upload");
    await advance(5);
    expect((await admin(`image-disk?imageId=${b1}`)).files["/data/v"]).toBe("during-image_backup");
    await admin("settings", "POST", { backupCapturesDisk: "at-call" });
    await write("at-call");
    const b2 = (await act(token, id, { createBackup: { name: "b2", backup_type: "daily", rotation: 5 } })).body.image_id;
    await write("after-call");
    await advance(8);
    expect((await admin(`image-disk?imageId=${b2}`)).files["/data/v"]).toBe("at-call");
  });

  it("rebuild replaces the disk with the image's, keeps SHUTOFF servers stopped", async () => {
    const token = await login();
    const id = await bootServer(token);
    await admin("disk", "POST", { serverId: id, path: "/data/v", content: "good" });
    const b = (await act(token, id, { createBackup: { name: "good", backup_type: "daily", rotation: 5 } })).body.image_id;
    await advance(10);
    await admin("disk", "POST", { serverId: id, path: "/data/v", content: "corrupt" });
    await act(token, id, { "os-stop": null });
    await advance(3);
    const r = await act(token, id, { rebuild: { imageRef: b } });
    expect(r.status).toBe(202);
    expect(r.body.server).toMatchObject({ id, status: "REBUILD", "OS-EXT-STS:task_state": "rebuilding", image: { id: b } });
    await advance(10);
    expect(await server(token, id)).toMatchObject({ status: "SHUTOFF", image: { id: b } });
    expect((await admin(`disk?serverId=${id}`)).files["/data/v"]).toBe("good");
    expect((await act(token, id, { pause: null })).body.conflictingRequest.message).toBe(`Cannot 'pause' instance ${id} while it is in vm_state stopped`);
  });
});

describe("admin routes", () => {
  it("puts a server into ERROR with a fault, or SHUTOFF; a backup in flight is deleted (or killed, as set)", async () => {
    const token = await login();
    const id = await bootServer(token);
    const b = (await act(token, id, { createBackup: { name: "b", backup_type: "daily", rotation: 2 } })).body.image_id;
    await admin("fail", "POST", { serverId: id, state: "ERROR", message: "Hypervisor lost the domain", code: 500 });
    const s = await server(token, id);
    expect(s).toMatchObject({ status: "ERROR", "OS-EXT-STS:vm_state": "error", "OS-EXT-STS:task_state": null, fault: { code: 500, message: "Hypervisor lost the domain", created: expect.any(String) } });
    expect((await glance("GET", `/v2/images/${b}`, token)).status).toBe(404);
    expect((await act(token, id, { suspend: null })).body.conflictingRequest.message).toBe(`Cannot 'suspend' instance ${id} while it is in vm_state error`);
    expect((await act(token, id, { "os-stop": null })).status).toBe(202);
    await advance(3);
    await admin("settings", "POST", { failedBackupImage: "killed" });
    await act(token, id, { "os-start": null });
    await advance(3);
    const k = (await act(token, id, { createBackup: { name: "k", backup_type: "daily", rotation: 2 } })).body.image_id;
    await admin("fail", "POST", { serverId: id, state: "SHUTOFF" });
    expect(await server(token, id)).toMatchObject({ status: "SHUTOFF", "OS-EXT-STS:power_state": 4 });
    expect((await server(token, id)).fault).toBeUndefined();
    expect((await glance("GET", `/v2/images/${k}`, token)).body.status).toBe("killed");
    // A server that failed while building never launched: Nova refuses even the actions ERROR allows.
    const r = await nova("POST", "/servers", token, { server: { name: "x", imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "none" } });
    await admin("fail", "POST", { serverId: r.body.server.id, state: "ERROR" });
    expect((await act(token, r.body.server.id, { "os-stop": null })).body.conflictingRequest.message).toBe(`Cannot 'stop' instance ${r.body.server.id} while it is in launched_at None`);
  });

  it("validates settings: known keys, types, finite ranges, never __proto__; changes apply at once", async () => {
    const bad = async (raw: string) => {
      const res = await fetch(`${ctx.emu.url}/_admin/openstack/settings`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ctx.emu.adminToken}` }, body: raw });
      return { status: res.status, body: await res.json() };
    };
    for (const raw of ['{"__proto__": {"buildSeconds": 1}}', '{"constructor": 1}', '{"nope": 1}', '{"buildSeconds": "10"}', '{"buildSeconds": -1}', '{"buildSeconds": 1e309}', '{"buildSeconds": 86401}', '{"failedBackupImage": "vanish"}', '{"maxMicroversion": "2.97"}', '{"maxMicroversion": "3.1"}', '{"tokenLifetimeSeconds": 0}']) {
      const r = await bad(raw);
      expect(r.status, raw).toBe(400);
      expect(r.body.error).toBe("InvalidSettings");
    }
    expect(({} as any).buildSeconds).toBeUndefined();
    const set = await admin("settings", "POST", { maxMicroversion: "2.44", buildSeconds: 1 });
    expect(set).toMatchObject({ maxMicroversion: "2.44", buildSeconds: 1 });
    expect((await http("GET", "/compute/")).body.versions[0].version).toBe("2.44");
    const token = await login();
    expect((await nova("GET", "/servers", token, undefined, "2.45")).status).toBe(406);
    expect((await admin("settings")).buildSeconds).toBe(1);
  });

  it("logs OpenStack calls by action and injects faults in Nova's shape", async () => {
    const token = await login();
    const id = await bootServer(token);
    await ctx.emu.admin.addFault({ cloud: "openstack", action: "createBackup", kind: "throttle", count: 1, retryAfterSeconds: 7 });
    const r = await act(token, id, { createBackup: { name: "b", backup_type: "daily", rotation: 2 } });
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ overLimit: { code: 429, message: "Injected fault.", retryAfter: "7" } });
    expect(r.headers.get("retry-after")).toBe("7");
    const calls = await ctx.emu.admin.calls({ cloud: "openstack", action: "createBackup" });
    expect(calls).toEqual([expect.objectContaining({ service: "compute", status: 429, code: "overLimit", fault: "throttle overLimit", params: expect.objectContaining({ server: id, backup_type: "daily" }) })]);
    const unknown = await nova("GET", "/servers/11111111-2222-3333-4444-555555555555", token);
    expect(unknown.status).toBe(404);
    expect((await ctx.emu.admin.calls({ cloud: "openstack", action: "GET /v2.1/servers/{id}" })).at(-1)).toMatchObject({ status: 404, code: "itemNotFound" });
    const tokens = await ctx.emu.admin.calls({ cloud: "openstack", action: "POST /v3/auth/tokens" });
    expect(JSON.stringify(tokens)).not.toContain(OPENSTACK_SEED.password);
  });
});

describe("Neutron", () => {
  it("lists and shows networks, subnets and ports with attribute filters; unknown ones 404 in Neutron's shape", async () => {
    const token = await login();
    const nets = await http("GET", "/network/v2.0/networks?name=private&fields=id&fields=name", { token });
    expect(nets.body.networks).toEqual([{ id: expect.any(String), name: "private" }]);
    const net = (await http("GET", `/network/v2.0/networks/${nets.body.networks[0].id}`, { token })).body.network;
    expect(net).toMatchObject({ name: "private", status: "ACTIVE", shared: false, "router:external": false, subnets: [expect.any(String)] });
    const subnets = (await http("GET", `/network/v2.0/subnets?network_id=${net.id}`, { token })).body.subnets;
    expect(subnets).toEqual([expect.objectContaining({ id: net.subnets[0], cidr: "10.0.0.0/26", gateway_ip: "10.0.0.1", ip_version: 4 })]);
    const missing = await http("GET", "/network/v2.0/networks/private", { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ NeutronError: { type: "NetworkNotFound", message: "Network private could not be found.", detail: "" } });
    expect((await http("GET", "/network/v2.0/networks?colour=blue", { token })).status).toBe(400);
  });
});
