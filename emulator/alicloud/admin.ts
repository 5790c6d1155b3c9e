// Admin routes of the Alibaba Cloud service, reached as /_admin/alicloud/<route> (tests, drills, demos):
//   GET    state       everything: instances (disks, files, role), roles, policies, groups, invocations
//   POST   instances   add an instance {instanceId?, instanceName?, osType, status?, agentInstalled?,
//                      disks: [{diskId?, category, fileSystem, size?}]} (PascalCase keys also accepted)
//   POST   instance    change one {instanceId, forcedExitCode (number | null), pluginManagerExitCode
//                      (232-247 | null), hangInvocations, agentInstalled, status}
//   POST   snapshot    {snapshotId, usedByImage (an image id | null)}: a custom image made from it keeps it
//                      when its group is deleted
//   POST   files       place a file {instanceId, path, content?, owner? ("root"), mode? ("700"), exitCode? (0)}
//   DELETE files       remove a file {instanceId, path}
//   GET    settings    the options; POST settings {…patch} changes them (quota, durations, failures)
import type { EmulatorResponse } from "../service";
import { AcsError } from "./errors";
import { INSTANCE_STATUSES } from "./ecs/model";
import { validateOptions, type AlicloudModel } from "./models";
import { spotAdminRoute, spotState } from "./spotAdmin";

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A body field by its camelCase name or the API's PascalCase one. */
function field(body: any, name: string): any {
  return body?.[name] ?? body?.[name[0].toUpperCase() + name.slice(1)];
}

function state(m: AlicloudModel) {
  return {
    settings: { ...m.opts },
    instances: [...m.ecs.instances.values()].map((i) => ({
      InstanceId: i.InstanceId,
      InstanceName: i.InstanceName,
      RegionId: i.RegionId,
      OSType: i.OSType,
      Status: i.Status,
      agentInstalled: i.agentInstalled,
      ramRole: i.ramRoleName,
      ramRolePolicy: i.ramRolePolicy,
      forcedExitCode: i.forcedExitCode,
      pluginManagerExitCode: i.pluginManagerExitCode,
      hangInvocations: Boolean(i.hangInvocations),
      disks: i.disks.map((d) => ({ ...d })),
      files: Object.fromEntries(Object.entries(i.files).map(([path, f]) => [path, { ...f }])),
      // Spot recovery (issue 15): how it was launched, and its preemption.
      ZoneId: i.ZoneId,
      InstanceType: i.InstanceType,
      ImageId: i.ImageId,
      VSwitchId: i.VSwitchId,
      SecurityGroupIds: [...i.SecurityGroupIds],
      HostName: i.HostName,
      KeyPairName: i.KeyPairName,
      credential: i.credential,
      UserData: i.UserData,
      SpotStrategy: i.SpotStrategy,
      SpotPriceLimit: i.SpotPriceLimit,
      SpotInterruptionBehavior: i.SpotInterruptionBehavior,
      HttpTokens: i.HttpTokens,
      tags: i.tags.map((t) => ({ ...t })),
      recycling: i.recycling && { lockedAt: iso(i.recycling.lockedAt), releaseAt: iso(i.recycling.releaseAt) },
    })),
    ...spotState(m),
    roles: [...m.ram.roles.values()].map((r) => ({
      RoleName: r.RoleName,
      RoleId: r.RoleId,
      Arn: r.Arn,
      AssumeRolePolicyDocument: r.AssumeRolePolicyDocument,
      Description: r.Description,
      policies: [...r.attached.keys()].map((k) => k.slice(k.indexOf(":") + 1)),
      tags: m.ram.tagsOf("role", r.RoleName).map((t) => ({ ...t })),
    })),
    policies: [...m.ram.policies.values()].map((p) => ({ ...p, tags: m.ram.tagsOf("policy", p.PolicyName).map((t) => ({ ...t })) })),
    snapshotGroups: [...m.ecs.groups.values()].map((g) => ({
      SnapshotGroupId: g.SnapshotGroupId,
      Name: g.Name,
      Description: g.Description,
      InstanceId: g.InstanceId,
      Status: m.ecs.groupStatus(g),
      CreationTime: iso(g.createdAt),
      snapshots: g.snapshots.map((s) => ({ SnapshotId: s.SnapshotId, SourceDiskId: s.SourceDiskId, InstantAccess: s.InstantAccess, usedByImage: s.usedByImage, tags: s.tags.map((t) => ({ ...t })) })),
    })),
    invocations: [...m.assistant.invocations.values()].map((inv) => ({
      InvokeId: inv.InvokeId,
      CommandId: inv.CommandId,
      Name: inv.Name,
      Type: inv.Type,
      CommandContent: inv.CommandContent,
      Timeout: inv.Timeout,
      RepeatMode: inv.RepeatMode,
      Frequency: inv.Frequency,
      CreationTime: iso(inv.createdAt),
      InvocationStatus: m.assistant.overall(inv),
      results: inv.results.map((r) => {
        const v = m.assistant.view(inv, r);
        // pluginArgv: the argument list acs-plugin-manager started the plugin with (agent.ts), once it ran.
        return { InstanceId: r.InstanceId, InvocationStatus: v.status, ExitCode: v.exitCode, Output: v.output, ErrorCode: v.errorCode, pluginArgv: r.run?.pluginArgv };
      }),
    })),
  };
}

export function adminRoute(m: AlicloudModel, subpath: string, method: string, body: any): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  try {
    switch (`${method} ${subpath}`) {
      case "GET state":
        return ok(state(m));
      case "POST instances": {
        const disks = field(body, "disks");
        if (disks !== undefined && !Array.isArray(disks)) throw new AcsError("InvalidParameter", 400, "disks is a list of {diskId?, category, fileSystem, size?}.");
        const inst = m.ecs.addInstance({
          InstanceId: field(body, "instanceId"),
          InstanceName: field(body, "instanceName"),
          OSType: field(body, "osType") ?? body?.OSType,
          Status: field(body, "status"),
          RegionId: field(body, "regionId"),
          agentInstalled: field(body, "agentInstalled"),
          disks: disks?.map((d: any) => ({ DiskId: field(d, "diskId"), Category: field(d, "category"), FileSystem: field(d, "fileSystem"), Size: field(d, "size") })),
        });
        return ok(state(m).instances.find((i) => i.InstanceId === inst.InstanceId));
      }
      case "POST instance": {
        const inst = m.ecs.instance(String(field(body, "instanceId")));
        const forced = field(body, "forcedExitCode");
        if (forced !== undefined && forced !== null && !(Number.isInteger(forced) && forced >= 1 && forced <= 255)) throw new AcsError("InvalidParameter", 400, "forcedExitCode is a whole number from 1 to 255, or null to clear it.");
        const status = field(body, "status");
        if (status !== undefined && !INSTANCE_STATUSES.includes(status)) throw new AcsError("InvalidParameter", 400, `status is one of ${INSTANCE_STATUSES.join(", ")}.`);
        const manager = field(body, "pluginManagerExitCode");
        if (manager !== undefined && manager !== null && !(Number.isInteger(manager) && manager >= 232 && manager <= 247)) throw new AcsError("InvalidParameter", 400, "pluginManagerExitCode is one of acs-plugin-manager's own codes, 232 to 247, or null to clear it.");
        if (forced !== undefined) inst.forcedExitCode = forced === null ? undefined : forced;
        if (manager !== undefined) inst.pluginManagerExitCode = manager === null ? undefined : manager;
        if (field(body, "hangInvocations") !== undefined) inst.hangInvocations = Boolean(field(body, "hangInvocations"));
        if (field(body, "agentInstalled") !== undefined) inst.agentInstalled = Boolean(field(body, "agentInstalled"));
        if (status !== undefined) inst.Status = status;
        return ok(state(m).instances.find((i) => i.InstanceId === inst.InstanceId));
      }
      case "POST snapshot": {
        const id = String(field(body, "snapshotId"));
        const found = m.ecs.snapshots().find(({ s }) => s.SnapshotId === id);
        if (!found) throw new AcsError("InvalidSnapshotId.NotFound", 404, `No snapshot ${id}.`);
        const image = field(body, "usedByImage");
        if (image !== null && !(typeof image === "string" && /^m-[\w-]+$/.test(image))) throw new AcsError("InvalidParameter", 400, "usedByImage is an image id such as m-abc123, or null to clear it.");
        found.s.usedByImage = image ?? undefined;
        return ok({ snapshotId: id, usedByImage: found.s.usedByImage });
      }
      case "POST files": {
        const instanceId = String(field(body, "instanceId"));
        const path = String(field(body, "path") ?? "");
        const entry = m.ecs.placeFile(instanceId, path, { content: field(body, "content"), owner: field(body, "owner"), mode: field(body, "mode"), exitCode: field(body, "exitCode") });
        return ok({ instanceId, path, ...entry });
      }
      case "DELETE files": {
        const inst = m.ecs.instance(String(field(body, "instanceId")));
        const path = String(field(body, "path") ?? "");
        if (!Object.hasOwn(inst.files, path)) throw new AcsError("InvalidParameter", 404, `No file ${path} on ${inst.InstanceId}.`);
        delete inst.files[path];
        return ok({ instanceId: inst.InstanceId, deleted: path });
      }
      case "GET settings":
        return ok({ ...m.opts });
      case "POST settings":
        Object.assign(m.opts, validateOptions(body ?? {}));
        return ok({ ...m.opts });
      default:
        return spotAdminRoute(m, subpath, method, body);
    }
  } catch (e) {
    if (e instanceof AcsError) return { status: e.status, body: { error: e.code, message: e.message } };
    throw e;
  }
}
