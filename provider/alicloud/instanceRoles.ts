// Finders and calls for instance RAM roles (ECS 2014-05-26 Attach/Describe/DetachInstanceRamRole).
// DescribeInstanceRamRole answers 10 per page by default and at most 50 (API notes, Corrections): we
// page through every page, so a role on more than 10 instances is never half seen.
import { CloudError } from "../core/errors";
import type { AlicloudClient } from "./client";

const PAGE_SIZE = 50;
/** AttachInstanceRamRole and DetachInstanceRamRole take at most 100 ids (JSON array); describe at most 50. */
const ATTACH_BATCH = 100;
const DESCRIBE_BATCH = 50;

const batches = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/**
 * The instances the role is attached to — all of them, or among `instanceIds` — every page.
 * (Filtering by role name alone finds instances attached out of band too.)
 */
export async function listInstancesWithRole(client: AlicloudClient, roleName: string, instanceIds?: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const batch of instanceIds ? batches(instanceIds, DESCRIBE_BATCH) : [undefined]) {
    if (batch && batch.length === 0) continue;
    for (let page = 1; ; page++) {
      const res = await client.call<{ InstanceRamRoleSets?: { InstanceRamRoleSet?: { InstanceId: string; RamRoleName: string }[] }; TotalCount?: number }>("ecs", "DescribeInstanceRamRole", {
        RamRoleName: roleName,
        InstanceIds: batch ? JSON.stringify(batch) : undefined,
        PageNumber: page,
        PageSize: PAGE_SIZE,
      });
      const got = res.InstanceRamRoleSets?.InstanceRamRoleSet ?? [];
      out.push(...got.filter((s) => s.RamRoleName === roleName).map((s) => s.InstanceId));
      if (got.length < PAGE_SIZE || page * PAGE_SIZE >= (res.TotalCount ?? 0)) break;
    }
  }
  return [...new Set(out)];
}

/** AttachInstanceRamRole, in batches; any instance that failed makes it fail, naming each. */
export async function attachInstanceRamRole(client: AlicloudClient, roleName: string, instanceIds: string[]): Promise<void> {
  for (const batch of batches(instanceIds, ATTACH_BATCH)) {
    type Result = { InstanceId: string; Success: boolean; Code: string; Message: string };
    const res = await client.call<{ RequestId?: string; AttachInstanceRamRoleResults?: { AttachInstanceRamRoleResult?: Result[] } }>(
      "ecs",
      "AttachInstanceRamRole",
      { RamRoleName: roleName, InstanceIds: JSON.stringify(batch) },
      { safe: true },
    );
    const failed = (res.AttachInstanceRamRoleResults?.AttachInstanceRamRoleResult ?? []).filter((r) => !r.Success);
    if (failed.length) {
      throw new CloudError({ cloud: "alicloud", action: "AttachInstanceRamRole", code: failed[0].Code, message: failed.map((f) => `${f.InstanceId}: ${f.Code} ${f.Message}`).join("; "), requestId: res.RequestId });
    }
  }
}

/** DetachInstanceRamRole, in batches. */
export async function detachInstanceRamRole(client: AlicloudClient, roleName: string, instanceIds: string[]): Promise<void> {
  for (const batch of batches(instanceIds, ATTACH_BATCH)) {
    await client.call("ecs", "DetachInstanceRamRole", { RamRoleName: roleName, InstanceIds: JSON.stringify(batch) }, { safe: true });
  }
}
