// The one OpenStack client against the emulator, and where its connection settings come from:
// clouds.yaml (+ secure.yaml) named by OS_CLOUD, the OS_* variables, stack config under `openstack:`
// with @pulumi/openstack's names; Keystone password and application-credential tokens, the catalog by
// region and interface, renewal before expiry and on a 401, the compute microversion on every Nova call,
// error bodies into CloudError with Nova's and Glance's codes, Retry-After as the retry floor. Secrets
// never appear in an error.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { OPENSTACK_SEED } from "../../emulator";
import { cloudsYamlSearchPath, openstackConnection, type ConfigSource } from "../../provider/config";
import { CloudError, isNotFound } from "../../provider/core/errors";
import { COMPUTE_MICROVERSION, OpenStackClient } from "../../provider/openstack/client";
import { findImage } from "../../provider/openstack/images";
import { findServer, listServers } from "../../provider/openstack/servers";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000 } });
const MISSING = "11111111-2222-3333-4444-555555555555";
let OS_VARS: string[] = [];
beforeAll(() => void (OS_VARS = Object.keys(process.env).filter((k) => k.startsWith("OS_"))));

const config = (values: Record<string, string>): ConfigSource => ({ get: (k) => values[k] });
/** Runs `fn` with the OS_* variables replaced by `env` (and restores them). */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OS_")).map((k) => [k, process.env[k]]));
  for (const k of Object.keys(saved)) delete process.env[k];
  Object.assign(process.env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const tokenCalls = async () => (await ctx.emu.admin.calls({ cloud: "openstack", action: "POST /v3/auth/tokens" })).length;

describe("connection settings", () => {
  afterEach(() => expect(Object.keys(process.env).filter((k) => k.startsWith("OS_")).sort()).toEqual([...OS_VARS].sort()));

  it("reads the OS_* variables an openrc sets", () => {
    const c = openstackConnection(undefined);
    expect(c).toMatchObject({ authUrl: `${ctx.emu.url}/identity/v3`, region: "RegionOne", interface: "public", auth: { method: "password", userName: "admin", userDomainName: "Default", projectName: "demo", projectDomainName: "Default" } });
  });

  it("reads the clouds.yaml entry named by OS_CLOUD, with secure.yaml's secrets, and lets stack config override it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clouds-"));
    writeFileSync(
      path.join(dir, "clouds.yaml"),
      `clouds:\n  emu:\n    auth:\n      auth_url: ${ctx.emu.url}/identity\n      username: admin\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: internal\n    identity_api_version: 3\n  other: {}\n`,
    );
    writeFileSync(path.join(dir, "secure.yaml"), `clouds:\n  emu:\n    auth:\n      password: ${OPENSTACK_SEED.password}\n`);
    await withEnv({ OS_CLOUD: "emu", OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml") }, async () => {
      const c = openstackConnection(undefined);
      expect(c).toMatchObject({ authUrl: `${ctx.emu.url}/identity`, interface: "internal", region: "RegionOne", auth: { method: "password", password: OPENSTACK_SEED.password, userName: "admin" } });
      expect(c.source).toContain(`clouds.yaml ${dir}/clouds.yaml (cloud emu)`);
      // The client works with it (…/identity gets /v3; the internal endpoints).
      const client = new OpenStackClient(c);
      expect(Array.isArray(await listServers(client))).toBe(true);
      // Stack config wins over clouds.yaml, key by key.
      expect(openstackConnection(config({ "openstack:region": "RegionTwo", "openstack:endpointType": "public" })).interface).toBe("public");
      expect(openstackConnection(config({ "openstack:region": "RegionTwo" })).region).toBe("RegionTwo");
      expect(() => openstackConnection(config({ "openstack:cloud": "nope" }))).toThrow(/OpenStack cloud "nope".*is not in/);
    });
    expect(cloudsYamlSearchPath("/w", "/home/u")).toEqual(["/w/clouds.yaml", "/w/clouds.yml", "/home/u/.config/openstack/clouds.yaml", "/home/u/.config/openstack/clouds.yml", "/etc/openstack/clouds.yaml", "/etc/openstack/clouds.yml"]);
  });

  it("reads stack config with @pulumi/openstack's key names, application credentials included", async () => {
    await withEnv({}, async () => {
      const c = openstackConnection(
        config({ "openstack:authUrl": `${ctx.emu.url}/identity/v3`, "openstack:userName": "admin", "openstack:password": OPENSTACK_SEED.password, "openstack:tenantName": "demo", "openstack:userDomainName": "Default", "openstack:projectDomainName": "Default", "openstack:region": "RegionOne" }),
      );
      expect(c.auth).toMatchObject({ method: "password", projectName: "demo" });
      expect((await new OpenStackClient(c).projectId())).toMatch(/^[0-9a-f]{32}$/);
      const ac = OPENSTACK_SEED.applicationCredential;
      const app = openstackConnection(config({ "openstack:authUrl": `${ctx.emu.url}/identity/v3`, "openstack:applicationCredentialId": ac.id, "openstack:applicationCredentialSecret": ac.secret }));
      expect(app.auth).toEqual({ method: "application_credential", id: ac.id, name: undefined, secret: ac.secret, userDomainId: undefined, userDomainName: undefined, userId: undefined, userName: undefined });
      expect(Array.isArray(await listServers(new OpenStackClient(app)))).toBe(true);
      const byName = openstackConnection(config({ "openstack:authUrl": `${ctx.emu.url}/identity/v3`, "openstack:applicationCredentialName": ac.name, "openstack:applicationCredentialSecret": ac.secret, "openstack:userName": "admin", "openstack:userDomainName": "Default" }));
      expect(Array.isArray(await listServers(new OpenStackClient(byName)))).toBe(true);
    });
  });

  it("says what is missing and where to set it, never a secret", async () => {
    await withEnv({ OS_AUTH_URL: `${ctx.emu.url}/identity/v3`, OS_USERNAME: "admin" }, () => {
      expect(() => openstackConnection(undefined)).toThrow("The OpenStack password is not set: set stack config `openstack:password` (pulumi config set --secret openstack:password …) or the environment variable OS_PASSWORD");
    });
    await withEnv({}, () => expect(() => openstackConnection(undefined)).toThrow(/openstack:authUrl.*OS_AUTH_URL/));
    const wrong = "Wrong-Secret-1234";
    await withEnv({ ...Object.fromEntries(OS_VARS.map((k) => [k, process.env[k]])), OS_PASSWORD: wrong }, async () => {
      const err = (await listServers(new OpenStackClient(openstackConnection(undefined))).catch((e) => e)) as CloudError;
      expect(err).toBeInstanceOf(CloudError);
      expect([err.code, err.httpStatus]).toEqual(["Unauthorized", 401]);
      expect(err.message).toMatch(/Keystone refused the credentials \(user, password, domain or project\) from OS_\* environment/);
      expect(err.message).not.toContain(wrong);
    });
  });
});

describe("the client", () => {
  it("authenticates once, sends the compute microversion, and turns Nova's and Glance's errors into CloudError with their codes", async () => {
    const client = new OpenStackClient(openstackConnection(undefined));
    const before = await tokenCalls();
    const res = await client.compute("GET", "/servers", { action: "GET /servers" });
    expect(res.headers.get("openstack-api-version")).toBe(`compute ${COMPUTE_MICROVERSION}`);
    await client.compute("GET", "/flavors");
    await client.image("GET", "/images");
    expect((await tokenCalls()) - before).toBe(1);
    const missing = (await client.compute("GET", `/servers/${MISSING}`).catch((e) => e)) as CloudError;
    expect([missing.code, missing.httpStatus, missing.cloudMessage]).toEqual(["itemNotFound", 404, `Instance ${MISSING} could not be found.`]);
    expect(missing.requestId).toMatch(/^req-/);
    expect(isNotFound(await findServer(client, MISSING).catch((e) => e))).toBe(true);
    const glance = (await client.image("GET", `/images/${MISSING}`).catch((e) => e)) as CloudError;
    expect([glance.code, glance.httpStatus]).toEqual(["NotFound", 404]);
    expect(isNotFound(await findImage(client, MISSING).catch((e) => e))).toBe(true);
    const { body } = await client.compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name: "c", imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "auto" } }, safe: false });
    const conflict = (await client.compute("POST", `/servers/${body.server.id}/action`, { body: { suspend: null }, safe: false }).catch((e) => e)) as CloudError;
    expect([conflict.code, conflict.httpStatus]).toEqual(["conflictingRequest", 409]);
  });

  it("renews the token on a 401 (expired on Keystone's clock) and before it expires", async () => {
    const client = new OpenStackClient(openstackConnection(undefined));
    await listServers(client);
    const before = await tokenCalls();
    await ctx.emu.admin.advanceClock(3601);
    await listServers(client);
    const calls = await ctx.emu.admin.calls({ cloud: "openstack" });
    expect((await tokenCalls()) - before).toBe(1);
    expect(calls.filter((c) => c.status === 401)).toHaveLength(1);
    // Tokens that live 20 s are renewed before each use (within the 30 s margin): no 401 at all.
    await ctx.emu.admin.openstack.settings({ tokenLifetimeSeconds: 20 });
    const short = new OpenStackClient(openstackConnection(undefined));
    const mark = (await ctx.emu.admin.calls()).at(-1)!.seq;
    for (let i = 0; i < 3; i++) await listServers(short);
    const after = await ctx.emu.admin.calls({ since: mark });
    expect(after.filter((c) => c.action === "POST /v3/auth/tokens")).toHaveLength(3);
    expect(after.filter((c) => c.status === 401)).toEqual([]);
  });

  it("honours Retry-After as the floor of a throttled retry, and finds endpoints by region and interface", async () => {
    const client = new OpenStackClient(openstackConnection(undefined));
    await listServers(client);
    await ctx.emu.admin.addFault({ cloud: "openstack", action: "GET /v2.1/servers/detail", kind: "throttle", count: 1, retryAfterSeconds: 1 });
    const retries: { cls: string; delayMs: number; code?: string }[] = [];
    const stop = client.retry.onRetry((e) => retries.push({ cls: e.cls, delayMs: e.delayMs, code: (e.err as CloudError).code }));
    await listServers(client);
    stop();
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ cls: "throttle", code: "overLimit" });
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(1000);
    const elsewhere = new OpenStackClient({ ...openstackConnection(undefined), region: "RegionTwo" });
    const err = (await listServers(elsewhere).catch((e) => e)) as CloudError;
    expect([err.code, err.message]).toEqual(["EndpointNotFound", expect.stringMatching(/no compute endpoint for interface public in region RegionTwo/)]);
    const internal = new OpenStackClient({ ...openstackConnection(undefined), interface: "internal" });
    expect(Array.isArray(await listServers(internal))).toBe(true);
  });

  it("is one client (one retry budget) per connection", () => {
    const a = OpenStackClient.for(openstackConnection(undefined));
    expect(OpenStackClient.for(openstackConnection(undefined))).toBe(a);
    expect(OpenStackClient.for({ ...openstackConnection(undefined), region: "RegionTwo" })).not.toBe(a);
  });
});
