// The local cloud: one HTTP server on loopback that the real SDKs talk to. A product feature (drills,
// demos, users' own tests), not only a test fixture.
import { AdminClient } from "./adminClient";
import { createClock, type Clock } from "./clock";
import { Faults } from "./faults";
import { EmulatorFront } from "./server";
import type { CloudService, EmulatorContext } from "./service";
import { createAlicloudService, type AlicloudService } from "./alicloud";
import type { AlicloudOptions } from "./alicloud/models";
import { createOpenStackService, OPENSTACK_SEED, type OpenStackService } from "./openstack";
import type { OpenStackOptions } from "./openstack/models";
import { createVolcengineService, type VolcengineService } from "./volcengine";
import type { VolcengineOptions } from "./volcengine/models";

export { AdminClient } from "./adminClient";
export type { FaultRule } from "./faults";
export type { VolcengineOptions } from "./volcengine/models";
export type { AlicloudOptions } from "./alicloud/models";
export type { OpenStackOptions } from "./openstack/models";
export { OPENSTACK_SEED } from "./openstack";

/** Obviously fake, and the only pair the emulator accepts unless told otherwise. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "emulator-access-key", secretKey: "emulator-secret-key" };

export interface EmulatorOptions {
  port?: number;
  host?: string;
  timeScale?: number;
  credentials?: { accessKeyId: string; secretKey: string }[];
  faultSeed?: number;
  volcengine?: Partial<VolcengineOptions>;
  alicloud?: Partial<AlicloudOptions>;
  openstack?: Partial<OpenStackOptions>;
}

export interface RunningEmulator {
  url: string;
  port: number;
  clock: Clock;
  credentials: { accessKeyId: string; secretKey: string };
  admin: AdminClient;
  services: CloudService[];
  volcengine: VolcengineService;
  alicloud: AlicloudService;
  openstack: OpenStackService;
  close(): Promise<void>;
}


export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const creds = opts.credentials?.length ? opts.credentials : [EMULATOR_CREDENTIALS];
  const ctx: EmulatorContext = { clock: createClock(opts.timeScale ?? 1), credentials: new Map(creds.map((c) => [c.accessKeyId, c.secretKey])) };
  const volcengine = createVolcengineService(ctx, opts.volcengine);
  const alicloud = createAlicloudService(ctx, opts.alicloud);
  const openstack = createOpenStackService(ctx, opts.openstack);
  // OpenStack is told apart by path prefix (/identity, /compute, /image, /network), which no other cloud uses.
  const services: CloudService[] = [openstack, volcengine, alicloud];
  const front = new EmulatorFront({ clock: ctx.clock, services, faults: new Faults(opts.faultSeed) });
  const host = opts.host ?? "127.0.0.1";
  const port = await front.listen(opts.port ?? 0, host);
  const url = `http://${host}:${port}`;
  return { url, port, clock: ctx.clock, credentials: creds[0], admin: new AdminClient(url), services, volcengine, alicloud, openstack, close: () => front.close() };
}

/** The environment that points the SDKs and the providers at this emulator. */
export function envFor(emu: Pick<RunningEmulator, "url" | "credentials">): Record<string, string> {
  return {
    VOLCENGINE_ENDPOINT: emu.url,
    VOLCENGINE_REGION: "cn-beijing",
    VOLCENGINE_ACCESS_KEY: emu.credentials.accessKeyId,
    VOLCENGINE_SECRET_KEY: emu.credentials.secretKey,
    ALIBABA_CLOUD_ECS_ENDPOINT: emu.url,
    ALIBABA_CLOUD_RAM_ENDPOINT: emu.url,
    ALIBABA_CLOUD_REGION: "cn-hangzhou",
    ALIBABA_CLOUD_ACCESS_KEY_ID: emu.credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.credentials.secretKey,
    // What an OpenStack user's openrc sets (python-openstackclient, openstacksdk, keystoneauth).
    OS_AUTH_URL: `${emu.url}/identity/v3`,
    OS_USERNAME: OPENSTACK_SEED.user,
    OS_PASSWORD: OPENSTACK_SEED.password,
    OS_PROJECT_NAME: OPENSTACK_SEED.project,
    OS_USER_DOMAIN_NAME: OPENSTACK_SEED.domain.name,
    OS_PROJECT_DOMAIN_NAME: OPENSTACK_SEED.domain.name,
    OS_REGION_NAME: "RegionOne",
    OS_IDENTITY_API_VERSION: "3",
    OS_INTERFACE: "public",
  };
}
