// The OpenStack policies through Pulumi's own dynamic-provider host, driven over gRPC as the engine
// drives it: Configure (stack config under `openstack:` with @pulumi/openstack's key names, the password
// secret), Check (bad inputs refused at preview), Diff, Create, Read, Update, Delete. The host gets no
// OS_* variables: the credentials arrive only through Configure.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OPENSTACK_SEED, startEmulator, type RunningEmulator } from "../../emulator";
import { OpenStackClient } from "../../provider/openstack/client";
import { secret, serializeProvider, startHost, UNKNOWN, urnOf, type Host } from "./harness";

let emu: RunningEmulator;
let host: Host;
let providers: Record<"backup" | "recovery" | "suspend", string>;
const RESCUE_IMAGE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const OS_UNSET = Object.fromEntries(["OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME", "OS_INTERFACE", "OS_CLOUD", "OS_IDENTITY_API_VERSION"].map((k) => [k, undefined]));

const client = () =>
  new OpenStackClient({
    authUrl: `${emu.url}/identity/v3`,
    interface: "public",
    region: "RegionOne",
    auth: { method: "password", userName: OPENSTACK_SEED.user, userDomainName: "Default", password: OPENSTACK_SEED.password, projectName: OPENSTACK_SEED.project, projectDomainName: "Default" },
    source: "test",
  });

async function bootServer(name: string): Promise<string> {
  const { body } = await client().compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name, imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "auto" } }, safe: false });
  emu.clock.advance(15_000);
  return body.server.id;
}

function assertNoSecret(where: string, value: unknown) {
  expect(JSON.stringify(value), where).not.toContain(OPENSTACK_SEED.password);
}

beforeAll(async () => {
  emu = await startEmulator({ clock: { frozen: true, stepPerRequestMs: 500 } });
  const [backup, recovery, suspend] = await Promise.all([
    serializeProvider("dist/provider/index.js", "serverBackupPolicyProvider"),
    serializeProvider("dist/provider/index.js", "serverRecoveryPolicyProvider"),
    serializeProvider("dist/provider/index.js", "serverSuspendScheduleProvider"),
  ]);
  providers = { backup, recovery, suspend };
  host = await startHost({ env: { ...OS_UNSET, PULUMI_RECOVERY_POLL_MS: "20" } });
  await host.configure({
    "openstack:authUrl": `${emu.url}/identity/v3`,
    "openstack:userName": OPENSTACK_SEED.user,
    "openstack:password": secret(OPENSTACK_SEED.password),
    "openstack:tenantName": OPENSTACK_SEED.project,
    "openstack:userDomainName": "Default",
    "openstack:projectDomainName": "Default",
    "openstack:region": "RegionOne",
  });
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});
beforeEach(() => emu.admin.reset());

describe("serialized OpenStack providers", () => {
  it("are small shims that hold no credential, client or SDK", () => {
    for (const text of Object.values(providers)) {
      assertNoSecret("serialized provider", text);
      expect(text).toContain("pulumi-recovery/dist/provider/runtime");
      expect(text).not.toMatch(/\byaml\b|croner|x-auth-token/i);
      expect(text.length).toBeLessThan(20_000);
    }
  });
});

describe("the OpenStack policies through the dynamic-provider host", () => {
  it("refuse bad inputs at check (preview), naming the field; an unknown server id waits for up", async () => {
    const urn = urnOf("ServerBackupPolicy", "nightly");
    const bad = await host.check(urn, {}, { serverId: UNKNOWN, schedule: "0 0 31 2 *", rotation: 500, __provider: providers.backup });
    expect(bad.failures).toEqual([
      { property: "rotation", reason: expect.stringMatching(/at most 100/) },
      { property: "schedule", reason: expect.stringMatching(/never fires/) },
    ]);
    const never = await host.check(urn, {}, { serverId: UNKNOWN, schedule: "0 0 31 2 *", __provider: providers.backup });
    expect(never.failures).toEqual([{ property: "schedule", reason: expect.stringMatching(/never fires/) }]);
    const mode = await host.check(urnOf("ServerSuspendSchedule", "nights"), {}, { serverId: UNKNOWN, mode: "sleep", suspendAt: "0 20 * * *", resumeAt: "0 7 * * *", __provider: providers.suspend });
    expect(mode.failures).toEqual([{ property: "mode", reason: expect.stringMatching(/mode must be one of suspend, pause/) }]);
    const rescue = await host.check(urnOf("ServerRecoveryPolicy", "heal"), {}, { serverId: UNKNOWN, action: "rescue", __provider: providers.recovery });
    expect(rescue.failures).toEqual([{ property: "rescueImageId", reason: expect.stringMatching(/required with action rescue/) }]);
  });

  it("run every lifecycle as the engine does, with credentials only from Configure", async () => {
    const serverId = await bootServer("host-web");
    const cases = [
      { kind: "backup" as const, urn: urnOf("ServerBackupPolicy", "nightly"), news: { serverId, schedule: "0 2 * * *", backupType: "nightly", rotation: 3, namePrefix: "host-web", __identity: "host-test/dev/nightly" }, change: { rotation: 5 }, key: "pulumi-recovery:backup:nightly" },
      { kind: "recovery" as const, urn: urnOf("ServerRecoveryPolicy", "heal"), news: { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE, expectRunning: true, __identity: "host-test/dev/heal" }, change: { cooldown: "2h" }, key: "pulumi-recovery:recovery" },
      { kind: "suspend" as const, urn: urnOf("ServerSuspendSchedule", "nights"), news: { serverId, mode: "pause", suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", timezone: "Europe/Berlin", __identity: "host-test/dev/nights" }, change: { mode: "suspend" }, key: "pulumi-recovery:suspend" },
    ];
    for (const c of cases) {
      const provider = providers[c.kind];
      const { inputs, failures } = await host.check(c.urn, {}, { ...c.news, __provider: provider });
      expect(failures).toEqual([]);
      const created = await host.create(c.urn, inputs);
      expect(created.properties).toMatchObject({ policyKey: c.key, serverName: "host-web", serverStatus: "ACTIVE" });
      assertNoSecret("create outputs", created.properties);
      expect((await host.diff(created.id, c.urn, created.properties, inputs)).changes).toBe("none");
      const changed = (await host.check(c.urn, inputs, { ...c.news, ...c.change, __provider: provider })).inputs;
      expect(await host.diff(created.id, c.urn, created.properties, changed)).toMatchObject({ changes: "some", replaces: [] });
      const updated = await host.update(created.id, c.urn, created.properties, changed);
      const read = await host.read(created.id, c.urn, updated.properties);
      expect(read.id).toBe(created.id);
      expect(read.properties).toMatchObject(c.change);
      expect(read.properties.__provider).toBe(provider);
      const moved = (await host.check(c.urn, changed, { ...c.news, ...c.change, serverId: "22222222-3333-4444-5555-666666666666", __provider: provider })).inputs;
      expect(await host.diff(created.id, c.urn, read.properties, moved)).toMatchObject({ replaces: ["serverId"], deleteBeforeReplace: true });
    }
    const { metadata } = (await client().compute("GET", `/servers/${serverId}/metadata`)).body;
    expect(Object.keys(metadata).sort()).toEqual(cases.map((c) => c.key).sort());
    for (const c of cases) {
      const props = (await host.read(`${serverId}`, c.urn, { ...c.news, ...c.change, __provider: providers[c.kind] })).properties;
      await host.delete(`${serverId}`, c.urn, props);
    }
    expect((await client().compute("GET", `/servers/${serverId}/metadata`)).body.metadata).toEqual({});
    assertNoSecret("host output", host.output());
  });
});
