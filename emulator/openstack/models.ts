// The OpenStack cloud as one unit: Keystone, Nova, Glance and Neutron models sharing the emulated
// clock and one settings object (durations and the behaviours no api-ref confirms), validated when an
// admin changes them. Status is derived from clock.now() on each request (`settle`), never by timers.
import type { Clock } from "../clock";
import { ComputeModel } from "./compute/model";
import { AdminError } from "./errors";
import { IdentityModel } from "./identity/model";
import { ImageModel } from "./image/model";
import { NetworkModel } from "./network/model";

export interface OpenStackOptions {
  /** The one region in the catalog. */
  region: string;
  /** Emulated seconds a token lives (keystone.conf [token] expiration, 3600 by default). */
  tokenLifetimeSeconds: number;
  /** Highest compute microversion served (2.1 ≤ it ≤ 2.96; what this emulator renders). */
  maxMicroversion: string;
  /** Emulated seconds from POST /servers to ACTIVE (BUILD meanwhile). */
  buildSeconds: number;
  /** Emulated seconds of each simple action (suspend, resume, pause, unpause, stop, start, reboot, rescue, unrescue). */
  actionSeconds: number;
  /** Emulated seconds of a rebuild. */
  rebuildSeconds: number;
  /** Emulated seconds from DELETE to the server being gone. */
  deleteSeconds: number;
  /** Emulated seconds per GiB of the flavor's root disk that a backup spends uploading (image saving). */
  backupSecondsPerGiB: number;
  /**
   * What a backup image becomes when its server fails or is deleted before the upload ends. Nova's
   * compute manager deletes it (@delete_image_on_error); "killed" keeps it in Glance's failed status.
   */
  failedBackupImage: "deleted" | "killed";
  /**
   * When a backup copies the server's disk: "before-upload" (default; the compute host snapshots the disk
   * after the API call, before image_uploading, as nova's libvirt driver does) or "at-call".
   */
  backupCapturesDisk: "before-upload" | "at-call";
  /** nova.conf [api] enable_instance_password (default true): rescue and create answer an adminPass. */
  enableInstancePassword: boolean;
  /** nova.conf [quota] metadata_items (default 128; -1 unlimited): metadata items per server. */
  metadataItems: number;
}

export function defaultOpenStackOptions(): OpenStackOptions {
  return {
    region: "RegionOne",
    tokenLifetimeSeconds: 3600,
    maxMicroversion: "2.96",
    buildSeconds: 10,
    actionSeconds: 3,
    rebuildSeconds: 10,
    deleteSeconds: 2,
    backupSecondsPerGiB: 2,
    failedBackupImage: "deleted",
    backupCapturesDisk: "before-upload",
    enableInstancePassword: true,
    metadataItems: 128,
  };
}

const ENUMS: Partial<Record<keyof OpenStackOptions, string[]>> = { failedBackupImage: ["deleted", "killed"], backupCapturesDisk: ["before-upload", "at-call"] };
/** Durations are emulated seconds: at most a day, so a typo cannot freeze a drill. */
const MAX_SECONDS = 86_400;

/** Checks a settings patch: known keys only, right types, finite ranges; never __proto__ or the like. */
export function validateOptions(patch: unknown): Partial<OpenStackOptions> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw new AdminError(400, "InvalidSettings", "settings take a JSON object");
  const defaults = defaultOpenStackOptions();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (!Object.hasOwn(defaults, k)) throw new AdminError(400, "InvalidSettings", `Unknown setting ${k}; settings are ${Object.keys(defaults).join(", ")}.`);
    const key = k as keyof OpenStackOptions;
    const want = typeof defaults[key];
    if (typeof v !== want) throw new AdminError(400, "InvalidSettings", `Setting ${k} takes a ${want}.`);
    if (key === "metadataItems") {
      if (!(Number.isInteger(v) && (v as number) >= -1 && (v as number) <= 10_000)) throw new AdminError(400, "InvalidSettings", "Setting metadataItems is a whole number from -1 (unlimited) to 10000.");
    } else if (want === "number" && !(Number.isFinite(v) && (v as number) >= 0 && (v as number) <= MAX_SECONDS)) throw new AdminError(400, "InvalidSettings", `Setting ${k} must be a finite number from 0 to ${MAX_SECONDS}.`);
    if (ENUMS[key] && !ENUMS[key]!.includes(v as string)) throw new AdminError(400, "InvalidSettings", `Setting ${k} is one of ${ENUMS[key]!.join(", ")}.`);
    if (key === "maxMicroversion" && !(/^2\.(\d+)$/.test(v as string) && Number((v as string).slice(2)) >= 1 && Number((v as string).slice(2)) <= 96)) throw new AdminError(400, "InvalidSettings", "Setting maxMicroversion is 2.N with N from 1 to 96.");
    if (key === "region" && !/^[A-Za-z0-9_.-]{1,64}$/.test(v as string)) throw new AdminError(400, "InvalidSettings", "Setting region is 1 to 64 letters, digits, '.', '_' or '-'.");
    if (key === "tokenLifetimeSeconds" && (v as number) < 1) throw new AdminError(400, "InvalidSettings", "Setting tokenLifetimeSeconds must be at least 1.");
    out[k] = v;
  }
  return out as Partial<OpenStackOptions>;
}

export class OpenStackModel {
  /** Stable object: the service models read it live, so admin changes apply at once. */
  readonly opts: OpenStackOptions;
  readonly identity: IdentityModel;
  readonly network: NetworkModel;
  readonly image: ImageModel;
  readonly compute: ComputeModel;

  constructor(
    readonly clock: Clock,
    private readonly initial: Partial<OpenStackOptions> = {},
  ) {
    this.opts = { ...defaultOpenStackOptions(), ...validateOptions(initial) };
    this.identity = new IdentityModel(clock, this.opts);
    this.network = new NetworkModel(clock, this.identity.demoProject.id);
    this.image = new ImageModel(clock, this.identity.adminProject.id);
    this.compute = new ComputeModel(clock, this.opts, this.image, this.network);
  }

  /** Applies every transition due by now. */
  settle(): void {
    this.compute.settle();
  }

  reset(): void {
    Object.assign(this.opts, defaultOpenStackOptions(), validateOptions(this.initial));
    this.identity.reset();
    this.network.reset();
    this.image.reset();
    this.compute.reset();
  }
}
