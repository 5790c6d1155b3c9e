// The Pulumi resource classes users declare for Volcengine. Their providers are the serializable shims
// from ../dynamic.ts; the lifecycles live in spotInstance/ and recoveryImage.ts. Every input and output
// is documented here (the README's reference tables are generated from these comments: `npm run docs`).
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";
import type { TimeoutsArgs } from "../core/resourceArgs";

export type { TimeoutsArgs } from "../core/resourceArgs";

export const spotInstanceProvider = dynamicProvider("volcengine:SpotInstance");
export const recoveryImageProvider = dynamicProvider("volcengine:RecoveryImage");

type In<T> = pulumi.Input<T>;

/** A volume of a SpotInstance. */
export interface VolumeArgs {
  /** `ESSD_PL0` (default), `ESSD_FlexPL` or `PTSSD`: the types RunInstances documents. Replaces the instance. */
  volumeType?: In<"ESSD_PL0" | "ESSD_FlexPL" | "PTSSD">;
  /** GiB: system volume 20-2048 (default 40, never smaller than the image), data volumes 10-32768. Replaces the instance. */
  size: In<number>;
}

/** A data volume of a SpotInstance. */
export interface DataVolumeArgs extends VolumeArgs {
  /** Delete the volume with the instance (default true). Replaces the instance. */
  deleteWithInstance?: In<boolean>;
  /** Restore the volume from this snapshot (`snap-…`). Replaces the instance. */
  snapshotId?: In<string>;
}

/** A placement a relaunch may use when the instance's own zone or type has no spot stock. */
export interface PlacementArgs {
  /** Zone, e.g. `cn-beijing-b`. */
  zoneId: In<string>;
  /** A subnet of that zone (subnets are zonal). */
  subnetId: In<string>;
  /** Another instance type (default: the instance's own). */
  instanceTypeId?: In<string>;
}

/** A command the guest runs before the final recovery point (flush buffers, checkpoint a database, freeze). */
export interface GuestHookArgs {
  /** A shell script, at most 16 KB (run as a Cloud Assistant command). */
  command: In<string>;
  /** Seconds it may take, 5-120 (default 30); it never takes more than 40% of what is left of the notice. */
  timeoutSeconds?: In<number>;
}

/** The recovery policy the controller (`pulumi-recovery watch`/`serve`) applies to the instance. */
export interface RecoveryPolicyArgs {
  /** At a spot interruption notice: `image-and-relaunch` (default), `image-only` (keep a recovery point) or `none`. In place. */
  onInterruption?: In<"image-and-relaunch" | "image-only" | "none">;
  /** Recovery points kept per instance, 1-20 (default 3); older ones are pruned. In place. */
  keepImages?: In<number>;
  /** Keep a rolling recovery point this fresh, a duration of at least "5m" (e.g. "30m"), or "auto" (as often as the disk's measured change rate needs for the final point to fit the notice). In place. */
  imageEvery?: In<string>;
  /** Run this in the guest before the final recovery point; the recovery images anyway when it does not answer in time. In place. */
  guestHook?: In<GuestHookArgs>;
  /** Up to 3 placements tried in order when the instance's own has no stock (the whole policy must fit one 256-character tag). In place. */
  fallbacks?: In<In<PlacementArgs>[]>;
}

/** The inputs of a SpotInstance. */
export interface SpotInstanceArgs {
  /** Zone, e.g. `cn-beijing-a`. Replaces the instance. */
  zoneId: In<string>;
  /** Image to launch from (`image-…`, public or custom). Replaces the instance. */
  imageId: In<string>;
  /** Instance type, e.g. `ecs.g3il.large`. Replaces the instance. */
  instanceTypeId: In<string>;
  /** Subnet of the primary network interface, in `zoneId` (`subnet-…`). Replaces the instance. */
  subnetId: In<string>;
  /** 1-5 security groups (`sg-…`). Replaces the instance. */
  securityGroupIds: In<In<string>[]>;
  /** `SpotAsPriceGo` (default: pay the market price) or `SpotWithPriceLimit` (with spotPriceLimit). Replaces the instance. */
  spotStrategy?: In<"SpotAsPriceGo" | "SpotWithPriceLimit">;
  /** Hourly price cap, > 0, at most 3 decimals; only with `SpotWithPriceLimit`. Replaces the instance. */
  spotPriceLimit?: In<number>;
  /** Default: the resource name. Starts with a letter or Chinese character; letters, digits, Chinese, `_ - .`; 1-128. In place. */
  instanceName?: In<string>;
  /** Host name in the guest: 2-63 letters, digits, `.` `-`, no leading, trailing or doubled `.`/`-`. Replaces the instance. */
  hostname?: In<string>;
  /** Starts with a letter or Chinese character; at most 255 of letters, digits, Chinese, spaces, `_ - . = , ， 。`. In place. */
  description?: In<string>;
  /** Volcengine project (default: the account's `default`). Replaces the instance. */
  projectName?: In<string>;
  /** System volume (default ESSD_PL0, 40 GiB). Replaces the instance. */
  systemVolume?: In<VolumeArgs>;
  /** Up to 15 data volumes. Replaces the instance. */
  dataVolumes?: In<In<DataVolumeArgs>[]>;
  /** Log in with this key pair (or set password, not both). Replaces the instance. */
  keyPairName?: In<string>;
  /** Root password: 8-30 characters with three of upper, lower, digits, special. Kept secret in state. In place. */
  password?: In<string>;
  /** User data as plain text (encoded for the API), at most 16 KB. Kept secret in state. Replaces the instance. */
  userData?: In<string>;
  /** Up to 17 tags (a resource holds 20; pulumi-recovery keeps 3: policy, lineage, create token). No `volc:`/`sys:`/`pulumi-recovery:` keys. In place. */
  tags?: In<Record<string, In<string>>>;
  /** Region (default: stack config `volcengine:region` or VOLCENGINE_REGION). Replaces the instance. */
  region?: In<string>;
  /** Manage this existing instance (`i-…`) instead of launching one (`pulumi import` cannot for dynamic resources). Replaces the instance. */
  adoptInstanceId?: In<string>;
  /** The recovery policy, recorded on the instance as one tag. In place. */
  recovery?: In<RecoveryPolicyArgs>;
  /** Operation timeouts (Pulumi's customTimeouts do not reach dynamic providers). In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a SpotInstance (besides its inputs). */
export interface SpotInstanceOutputs {
  /** The instance id (`i-…`); after a refresh that followed a recovery, the replacement's. */
  instanceId: string;
  /** RUNNING, STOPPED, … as DescribeInstances reports it. */
  status: string;
  /** The VPC of the subnet. */
  vpcId?: string;
  /** The primary private IP address. */
  privateIpAddress?: string;
  /** When the instance was created (as the cloud prints it). */
  createdAt?: string;
  /** True when the cloud has scheduled this instance's release (a spot interruption notice). */
  interruptionScheduled: boolean;
  /** The interruption event id, when one is scheduled. */
  interruptionEventId?: string;
  /** When a scheduled interruption releases the instance (ISO 8601); absent when none is scheduled. */
  releaseAt?: string;
  /** After a refresh that adopted the controller's replacement: the instance it replaced; absent otherwise. */
  recoveredFrom?: string;
  /** After a refresh that adopted a replacement: the recovery image it was launched from; absent otherwise. */
  launchedFromImageId?: string;
  /** The first instance of this instance's line (itself until a recovery replaces it). */
  origin: string;
  /** The Cloud Assistant command (`cmd-…`) that runs `recovery.guestHook`; absent without a hook. */
  hookCommandId?: string;
  /** Where the instance actually runs: after a recovery to a fallback placement, not the declared zone/subnet/type. */
  placement: { zoneId: string; subnetId?: string; instanceTypeId?: string };
}

const SPOT_OUTPUTS: (keyof SpotInstanceOutputs)[] = ["instanceId", "status", "vpcId", "privateIpAddress", "createdAt", "interruptionScheduled", "interruptionEventId", "releaseAt", "recoveredFrom", "launchedFromImageId", "origin", "hookCommandId", "placement"];

/** A Volcengine ECS spot instance with its recovery policy. */
export class SpotInstance extends pulumi.dynamic.Resource {
  declare readonly instanceId: pulumi.Output<string>;
  declare readonly instanceName: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly zoneId: pulumi.Output<string>;
  declare readonly vpcId: pulumi.Output<string | undefined>;
  declare readonly privateIpAddress: pulumi.Output<string | undefined>;
  declare readonly spotStrategy: pulumi.Output<string>;
  declare readonly spotPriceLimit: pulumi.Output<number | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly interruptionScheduled: pulumi.Output<boolean>;
  declare readonly interruptionEventId: pulumi.Output<string | undefined>;
  declare readonly releaseAt: pulumi.Output<string | undefined>;
  declare readonly recoveredFrom: pulumi.Output<string | undefined>;
  declare readonly launchedFromImageId: pulumi.Output<string | undefined>;
  declare readonly origin: pulumi.Output<string>;
  declare readonly hookCommandId: pulumi.Output<string | undefined>;
  declare readonly placement: pulumi.Output<SpotInstanceOutputs["placement"]>;

  constructor(name: string, args: SpotInstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, instanceName: args.instanceName ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of SPOT_OUTPUTS) props[k] = undefined;
    super(spotInstanceProvider, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password", "userData"] }, "pulumi-recovery", "SpotInstance");
  }
}

/** The inputs of a RecoveryImage. */
export interface RecoveryImageArgs {
  /** The instance to take the recovery point of (`i-…`). A recovery of it (the controller's replacement) is followed, not replaced. */
  instanceId: In<string>;
  /** Default: the resource name. Starts with a letter or Chinese character; letters, digits, Chinese, `_ - .`; 1-128. Replaces the image. */
  imageName?: In<string>;
  /** Starts with a letter or Chinese character; at most 255 characters. Replaces the image. */
  description?: In<string>;
  /** CreateImage with CreateWholeImage (every disk in one image): only for accounts that have the invitation-only feature; an instance on PTSSD disks is stopped for it and started again. Default false: the system image plus data-volume snapshots (no stop). Replaces the image. */
  wholeImage?: In<boolean>;
  /** Up to 18 tags on the image (pulumi-recovery keeps 2). In place. */
  tags?: In<Record<string, In<string>>>;
  /** Region (default: stack config `volcengine:region` or VOLCENGINE_REGION). Replaces the image. */
  region?: In<string>;
  /** Manage this existing custom image (`image-…`) instead of creating one. Replaces the image. */
  adoptImageId?: In<string>;
  /** Operation timeouts (default create 60m: big disks take long). In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a RecoveryImage (besides its inputs). */
export interface RecoveryImageOutputs {
  /** The image id (`image-…`): launch from it with the data volumes restored from `dataSnapshots`. */
  imageId: string;
  /** available (create waits for it), creating or error. */
  status: string;
  /** Image size in GiB. */
  size?: number;
  /** When the image was created. */
  createdAt?: string;
  /** The snapshot group of every volume the image was made from; absent for an adopted or whole image. */
  snapshotGroupId?: string;
  /** One per data volume, in attach order: restore each with RunInstances Volumes.N.SnapshotId. Empty when the instance has none. */
  dataSnapshots: { snapshotId: string; volumeType: string; size: number; deleteWithInstance: boolean }[];
  /** The instance the image was taken of (an earlier member of `instanceId`'s line after a recovery). */
  sourceInstanceId?: string;
  /** The first instance of the source's line: a recovery's replacement carries it, so the image follows the line. */
  lineOrigin?: string;
}

/** A recovery point of every disk of an instance: a custom image of its system volume and snapshots of its data volumes, awaited until available. */
export class RecoveryImage extends pulumi.dynamic.Resource {
  declare readonly imageId: pulumi.Output<string>;
  declare readonly imageName: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly size: pulumi.Output<number | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly snapshotGroupId: pulumi.Output<string | undefined>;
  declare readonly dataSnapshots: pulumi.Output<RecoveryImageOutputs["dataSnapshots"]>;
  declare readonly sourceInstanceId: pulumi.Output<string | undefined>;

  constructor(name: string, args: RecoveryImageArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, imageName: args.imageName ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["imageId", "status", "size", "createdAt", "snapshotGroupId", "dataSnapshots", "sourceInstanceId", "lineOrigin"]) props[k] = undefined;
    super(recoveryImageProvider, name, props, opts, "pulumi-recovery", "RecoveryImage");
  }
}
