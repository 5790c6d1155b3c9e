// The local cloud: one HTTP server on loopback that the real SDKs talk to. A product feature (drills,
// demos, users' own tests), not only a test fixture.
import { randomBytes } from "node:crypto";
import { AdminClient, ADMIN_TOKEN_ENV } from "./adminClient";
import { createClock, type Clock, type ClockOptions } from "./clock";
import { Faults } from "./faults";
import { EmulatorFront } from "./server";
import type { CloudService, EmulatorContext } from "./service";
import { createAlicloudService, type AlicloudService } from "./alicloud";
import type { AlicloudOptions } from "./alicloud/models";
import { createOpenStackService, OPENSTACK_SEED, type OpenStackService } from "./openstack";
import type { OpenStackOptions } from "./openstack/models";
import { createVolcengineService, type VolcengineService } from "./volcengine";
import type { VolcengineOptions } from "./volcengine/models";

export { AdminClient, ADMIN_TOKEN_ENV } from "./adminClient";
export type { ClockOptions } from "./clock";
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
  /** Emulated seconds per real second (the scaled clock drills use); default 1. */
  timeScale?: number;
  /**
   * Clock mode. Tests with deadlines use `{ frozen: true, stepPerRequestMs?, start? }`: time moves only
   * by `admin.advanceClock` and by the step each cloud API request takes, never with the wall clock.
   */
  clock?: Omit<ClockOptions, "timeScale">;
  /** The admin API's token; default: a fresh random one per run (RunningEmulator.adminToken). */
  adminToken?: string;
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
  /** Required by every admin route but GET health; `admin` sends it. */
  adminToken: string;
  admin: AdminClient;
  services: CloudService[];
  volcengine: VolcengineService;
  alicloud: AlicloudService;
  openstack: OpenStackService;
  close(): Promise<void>;
}


export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const creds = opts.credentials?.length ? opts.credentials : [EMULATOR_CREDENTIALS];
  const clock = createClock({ ...opts.clock, timeScale: opts.timeScale ?? 1 });
  const ctx: EmulatorContext = { clock, credentials: new Map(creds.map((c) => [c.accessKeyId, c.secretKey])) };
  const volcengine = createVolcengineService(ctx, opts.volcengine);
  const alicloud = createAlicloudService(ctx, opts.alicloud);
  const openstack = createOpenStackService(ctx, opts.openstack);
  // OpenStack is told apart by path prefix (/identity, /compute, /image, /network), which no other cloud uses.
  const services: CloudService[] = [openstack, volcengine, alicloud];
  const adminToken = opts.adminToken ?? randomBytes(24).toString("base64url");
  // Printed in an `export …=` line users paste into a shell: no character a shell would interpret.
  if (!/^[\w.~+/=-]{16,}$/.test(adminToken)) throw new Error("adminToken must be at least 16 characters of A-Z a-z 0-9 _ . ~ + / = -");
  const front = new EmulatorFront({ clock, services, faults: new Faults(opts.faultSeed), adminToken });
  const host = opts.host ?? "127.0.0.1";
  const port = await front.listen(opts.port ?? 0, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { url, port, clock, credentials: creds[0], adminToken, admin: new AdminClient(url, adminToken), services, volcengine, alicloud, openstack, close: async () => {
    volcengine.eventRules.reset(); // no webhook delivery outlives the emulator
    alicloud.model.monitor.reset();
    await front.close();
  } };
}

/** The environment that points the SDKs and the providers (and an AdminClient) at this emulator. */
export function envFor(emu: Pick<RunningEmulator, "url" | "credentials"> & Partial<Pick<RunningEmulator, "adminToken">>): Record<string, string> {
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
    // Tools that should measure time on the emulator's clock (the controller's deadlines) read it here.
    PULUMI_RECOVERY_EMULATOR_URL: emu.url,
    ...(emu.adminToken ? { [ADMIN_TOKEN_ENV]: emu.adminToken } : {}),
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
