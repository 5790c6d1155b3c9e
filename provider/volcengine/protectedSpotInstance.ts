// ProtectedSpotInstance: a SpotInstance with its recovery policy and a baseline RecoveryImage, as one
// component for team repos. The recovery controller (`pulumi-recovery watch`) acts on the policy tags.
import * as pulumi from "@pulumi/pulumi";
import { RecoveryImage, SpotInstance, type RecoveryPolicyArgs, type SpotInstanceArgs } from "./resources";

export interface ProtectedSpotInstanceArgs extends Omit<SpotInstanceArgs, "recovery"> {
  /** Default: image and relaunch at an interruption, keep 3 images. */
  recovery?: RecoveryPolicyArgs;
  /** Take a baseline image once the instance runs (default true). */
  baselineImage?: boolean;
}

export class ProtectedSpotInstance extends pulumi.ComponentResource {
  readonly instance: SpotInstance;
  readonly baselineImage?: RecoveryImage;
  readonly instanceId: pulumi.Output<string>;
  readonly privateIpAddress: pulumi.Output<string | undefined>;
  readonly baselineImageId: pulumi.Output<string | undefined>;

  constructor(name: string, args: ProtectedSpotInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-recovery:index:ProtectedSpotInstance", name, {}, opts);
    const { baselineImage = true, recovery, ...spot } = args;
    this.instance = new SpotInstance(name, { ...spot, recovery: recovery ?? { onInterruption: "image-and-relaunch", keepImages: 3 } }, { parent: this });
    if (baselineImage) {
      this.baselineImage = new RecoveryImage(
        `${name}-baseline`,
        // RecoveryImage follows its instance's line itself: when the controller relaunches the instance
        // and a refresh adopts the replacement, the baseline stays (no re-imaging on `up`).
        { instanceId: this.instance.instanceId, imageName: `${name}-baseline`, region: args.region, tags: { "baseline-of": name } },
        { parent: this },
      );
    }
    this.instanceId = this.instance.instanceId;
    this.privateIpAddress = this.instance.privateIpAddress;
    this.baselineImageId = this.baselineImage ? this.baselineImage.imageId : pulumi.output(undefined);
    this.registerOutputs({ instanceId: this.instanceId, privateIpAddress: this.privateIpAddress, baselineImageId: this.baselineImageId });
  }
}
