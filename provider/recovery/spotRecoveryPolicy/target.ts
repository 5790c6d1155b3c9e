// What SpotRecoveryPolicy needs of a cloud to record a policy on an instance it does not manage: read the
// instance and its tags, change only the tags it names, find the replacement the controller launched
// (it carries the line's origin tag), and keep the guest hook's saved Cloud Assistant command. One
// implementation per cloud (volcengine/policyTarget.ts, alicloud/policyTarget.ts), chosen by `cloud`.
import type { CloudName } from "../cloud";

export interface PolicyInstance {
  instanceId: string;
  status: string;
  tags: Record<string, string>;
  createdAt?: string;
}

export interface PolicyTarget {
  readonly cloud: CloudName;
  readonly region: string;
  /** The longest tag value the cloud takes (Volcengine 256, Alibaba Cloud 128). */
  readonly tagValueMax: number;
  /** At most this many tags on a resource (20 on both clouds), ours included. */
  readonly tagLimit: number;
  /** The instance, undefined when it is gone (released, deleted). */
  instance(instanceId: string): Promise<PolicyInstance | undefined>;
  /** The newest live instance of the line that started with `origin`, other than `instanceId`. */
  successor(instanceId: string, origin: string): Promise<PolicyInstance | undefined>;
  /** Makes the instance's tags go from `olds` to `news`, touching only the keys named. */
  syncTags(instanceId: string, olds: Record<string, string>, news: Record<string, string>): Promise<void>;
  /** The guest hook as a saved command, once per token; returns its id. */
  ensureHook(o: { name: string; script: string; timeoutSeconds: number; token: string }): Promise<string>;
  updateHook(commandId: string, script: string, timeoutSeconds: number): Promise<void>;
  deleteHook(commandId: string): Promise<void>;
}
