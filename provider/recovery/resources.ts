// The Pulumi class for a recovery policy attached to an instance managed elsewhere, on either cloud. Its
// provider is the serializable shim from ../dynamic.ts; the lifecycle lives in spotRecoveryPolicy/.
// Every input and output is documented here (the README's reference is generated from these comments).
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";
import type { PlacementArgs, RecoveryPolicyArgs } from "../volcengine/resources";

export const spotRecoveryPolicyProvider = dynamicProvider("recovery:SpotRecoveryPolicy");

type In<T> = pulumi.Input<T>;

/** The inputs of a SpotRecoveryPolicy: the recovery policy, and the instance it protects. */
export interface SpotRecoveryPolicyArgs extends RecoveryPolicyArgs {
  /** `alicloud` or `volcengine`: where the instance runs (connection from that cloud's stack config). Replaces the policy. */
  cloud: In<"alicloud" | "volcengine">;
  /**
   * The instance to protect (`i-…`), typically another resource's output, e.g. `alicloud.ecs.Instance.id`. Unknown during
   * a preview is fine. After a recovery the policy follows the replacement; naming the replacement here (after importing
   * it) changes nothing; naming an unrelated instance replaces the policy.
   */
  instanceId: In<string>;
  /** Region (default: stack config `alicloud:region` / `volcengine:region`, or the environment). Replaces the policy. */
  region?: In<string>;
  /**
   * Up to 3 placements tried in order when the instance's own has no stock: a zone, a subnet of it (on Alibaba Cloud a
   * vSwitch) and optionally another instance type. The whole policy must fit one tag value: 128 characters on Alibaba
   * Cloud, 256 on Volcengine (checked at preview). In place.
   */
  fallbacks?: In<In<PlacementArgs>[]>;
}

/** The outputs of a SpotRecoveryPolicy (besides its inputs). */
export interface SpotRecoveryPolicyOutputs {
  /** The instance carrying the policy now: `instanceId`, or after a refresh that followed a recovery, its replacement (also the resource id). */
  attachedInstanceId: string;
  /** Its status as the cloud reports it (`Running`, `RUNNING`, …). */
  instanceStatus: string;
  /** The first instance of the line (`instanceId` until a recovery replaces it). */
  origin: string;
  /** The policy tag found on the instance (absent when someone removed it: the next `up` writes it again). */
  recordedPolicy?: string;
  /** After a refresh that followed a recovery: the instance the replacement took over from; absent otherwise. */
  recoveredFrom?: string;
  /** The saved Cloud Assistant command that runs `guestHook`; absent without a hook. */
  hookCommandId?: string;
}

const OUTPUTS: (keyof SpotRecoveryPolicyOutputs)[] = ["attachedInstanceId", "instanceStatus", "origin", "recordedPolicy", "recoveredFrom", "hookCommandId"];

/**
 * A recovery policy for an instance that something else manages (an `alicloud.ecs.Instance`, a Volcengine instance):
 * recorded on the instance as tags the recovery controller reads, followed to the replacement after a recovery.
 */
export class SpotRecoveryPolicy extends pulumi.dynamic.Resource {
  declare readonly cloud: pulumi.Output<"alicloud" | "volcengine">;
  declare readonly instanceId: pulumi.Output<string>;
  declare readonly attachedInstanceId: pulumi.Output<string>;
  declare readonly instanceStatus: pulumi.Output<string>;
  declare readonly origin: pulumi.Output<string>;
  declare readonly recordedPolicy: pulumi.Output<string | undefined>;
  declare readonly recoveredFrom: pulumi.Output<string | undefined>;
  declare readonly hookCommandId: pulumi.Output<string | undefined>;

  constructor(name: string, args: SpotRecoveryPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of OUTPUTS) props[k] = undefined;
    super(spotRecoveryPolicyProvider, name, props, opts, "pulumi-recovery", "SpotRecoveryPolicy");
  }
}
