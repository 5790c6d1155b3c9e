// The Pulumi resource classes users declare for Volcengine. Their providers are the serializable shims
// from ../dynamic.ts; the lifecycle lives in spotInstance.ts / recoveryImage.ts.
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";

export const spotInstanceProvider = dynamicProvider("volcengine:SpotInstance");
export const recoveryImageProvider = dynamicProvider("volcengine:RecoveryImage");

type In<T> = pulumi.Input<T>;

export interface VolumeArgs {
  volumeType?: In<"ESSD_PL0" | "ESSD_PL1" | "ESSD_PL2" | "ESSD_PL3" | "ESSD_FlexPL" | "PTSSD">;
  size: In<number>;
}

export interface RecoveryPolicyArgs {
  /** What the recovery controller does at a spot interruption notice. Default "image-and-relaunch". */
  onInterruption?: In<"image-and-relaunch" | "image-only" | "none">;
  /** How many recovery images of this instance to keep (older ones are pruned). Default 3. */
  keepImages?: In<number>;
  /** Keep a rolling recovery image this fresh (e.g. "30m"), for disks too big to image within the notice. */
  imageEvery?: In<string>;
}

export interface TimeoutsArgs {
  create?: In<string>;
  update?: In<string>;
  delete?: In<string>;
}

export interface SpotInstanceArgs {
  zoneId: In<string>;
  imageId: In<string>;
  instanceTypeId: In<string>;
  subnetId: In<string>;
  securityGroupIds: In<In<string>[]>;
  /** "SpotAsPriceGo" (default: pay the market price) or "SpotWithPriceLimit" (with spotPriceLimit). */
  spotStrategy?: In<"SpotAsPriceGo" | "SpotWithPriceLimit">;
  spotPriceLimit?: In<number>;
  /** Defaults to the Pulumi resource name. */
  instanceName?: In<string>;
  hostname?: In<string>;
  description?: In<string>;
  systemVolume?: In<VolumeArgs>;
  dataVolumes?: In<In<VolumeArgs & { deleteWithInstance?: In<boolean>; snapshotId?: In<string> }>[]>;
  keyPairName?: In<string>;
  /** Kept secret in state. */
  password?: In<string>;
  /** Plain text; encoded for the API. Kept secret in state. */
  userData?: In<string>;
  tags?: In<Record<string, In<string>>>;
  region?: In<string>;
  /** Manage this existing instance instead of launching one (dynamic resources cannot `pulumi import`). */
  adoptInstanceId?: In<string>;
  recovery?: In<RecoveryPolicyArgs>;
  timeouts?: In<TimeoutsArgs>;
}

const SPOT_OUTPUTS = [
  "instanceId",
  "status",
  "vpcId",
  "privateIpAddress",
  "createdAt",
  "interruptionScheduled",
  "interruptionEventId",
  "releaseAt",
  "clientToken",
  "recoveredFrom",
  "launchedFromImageId",
] as const;

/** A Volcengine ECS spot instance. */
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
  /** True when the cloud has scheduled this instance's release (a spot interruption notice). */
  declare readonly interruptionScheduled: pulumi.Output<boolean>;
  declare readonly interruptionEventId: pulumi.Output<string | undefined>;
  /** When a scheduled interruption releases the instance (ISO 8601). */
  declare readonly releaseAt: pulumi.Output<string | undefined>;
  /** After a refresh that adopted a recovery controller's replacement: the instance it replaced. */
  declare readonly recoveredFrom: pulumi.Output<string | undefined>;
  declare readonly launchedFromImageId: pulumi.Output<string | undefined>;

  constructor(name: string, args: SpotInstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      ...args,
      instanceName: args.instanceName ?? name,
      __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
    };
    for (const k of SPOT_OUTPUTS) props[k] = undefined;
    super(spotInstanceProvider, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password", "userData"] }, "pulumi-recovery", "SpotInstance");
  }
}

export interface RecoveryImageArgs {
  instanceId: In<string>;
  /** Defaults to the Pulumi resource name. */
  imageName?: In<string>;
  description?: In<string>;
  createWholeImage?: In<boolean>;
  tags?: In<Record<string, In<string>>>;
  region?: In<string>;
  /** Manage this existing custom image instead of creating one. */
  adoptImageId?: In<string>;
  timeouts?: In<TimeoutsArgs>;
}

/** A custom image of an instance, awaited until available. */
export class RecoveryImage extends pulumi.dynamic.Resource {
  declare readonly imageId: pulumi.Output<string>;
  declare readonly imageName: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly size: pulumi.Output<number | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: RecoveryImageArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      ...args,
      imageName: args.imageName ?? name,
      __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      imageId: undefined,
      status: undefined,
      size: undefined,
      createdAt: undefined,
    };
    super(recoveryImageProvider, name, props, opts, "pulumi-recovery", "RecoveryImage");
  }
}
