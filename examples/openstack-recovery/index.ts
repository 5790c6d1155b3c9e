import * as pulumi from "@pulumi/pulumi";
import { ServerBackupPolicy, ServerRecoveryPolicy, ServerSuspendSchedule } from "pulumi-recovery";

const config = new pulumi.Config();

// The server to protect. In a real stack it is made in the same program, and its id is passed on:
//   const db = new openstack.compute.Instance("db", { imageName: "ubuntu-24.04", flavorName: "m1.small", networks: [{ name: "private" }] });
//   const serverId = db.id;
// Here it comes from config (see README: @pulumi/openstack's provider plugin cannot be downloaded in
// this sandbox, so the server is made directly in the emulator).
const serverId = config.require("serverId");

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
