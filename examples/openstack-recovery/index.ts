import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ServerBackupPolicy, ServerRecoveryPolicy, ServerSuspendSchedule } from "pulumi-recovery";

const config = new pulumi.Config();

// The server to protect: made here with @pulumi/openstack, or (config `serverId`) one that exists. The
// tests and the emulator walkthrough pass `serverId`: @pulumi/openstack's provider plugin is a binary the
// Pulumi CLI downloads at run time, which this sandbox cannot (see README).
const serverId: pulumi.Input<string> =
  config.get("serverId") ??
  new openstack.compute.Instance("db", {
    imageName: config.get("imageName") ?? "cirros",
    flavorName: config.get("flavorName") ?? "m1.tiny",
    networks: [{ name: config.get("networkName") ?? "private" }],
  }).id;

const backups = new ServerBackupPolicy("db-daily", {
  serverId,
  schedule: config.get("backupSchedule") ?? "0 2 * * *",
  timezone: config.get("timezone") ?? "UTC",
  backupType: "daily",
  rotation: config.getNumber("rotation") ?? 7,
});

const recovery = new ServerRecoveryPolicy("db-recovery", {
  serverId,
  action: "rescue",
  rescueImageId: config.require("rescueImageId"),
  onError: true,
  expectRunning: true,
  healthProbe: config.get("healthUrl") ? { http: config.require("healthUrl"), failuresBeforeAction: 3 } : undefined,
});

const nights = new ServerSuspendSchedule("db-nights", {
  serverId,
  mode: (config.get("suspendMode") as "suspend" | "pause" | undefined) ?? "suspend",
  suspendAt: "0 20 * * 1-5",
  resumeAt: "0 7 * * 1-5",
  timezone: config.get("timezone") ?? "UTC",
});

export const serverName = backups.serverName;
export const backupPolicyKey = backups.policyKey;
export const latestBackupImageId = backups.latestBackupImageId;
export const backupCount = backups.backupCount;
export const nextBackupAt = backups.nextBackupAt;
export const recoveryPolicyKey = recovery.policyKey;
export const nextSuspendAt = nights.nextSuspendAt;
export const nextResumeAt = nights.nextResumeAt;
