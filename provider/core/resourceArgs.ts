// Argument types shared by the resource classes of every cloud.
import type * as pulumi from "@pulumi/pulumi";

/** Operation timeouts, durations such as "10m", "90s" or "1h30m" (Pulumi's customTimeouts do not reach dynamic providers). */
export interface TimeoutsArgs {
  /** How long a create may take before it gives up (and cleans up). */
  create?: pulumi.Input<string>;
  /** How long an in-place update may take. */
  update?: pulumi.Input<string>;
  /** How long a delete may take. */
  delete?: pulumi.Input<string>;
}
