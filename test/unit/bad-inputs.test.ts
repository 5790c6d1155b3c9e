// The bad-input catalogue: inputs every resource must refuse at `check` (preview), before any cloud call,
// with a message that names the field and says how to fix it — and never quotes the value (a secret, or
// 100 KB of user data). Each case runs the provider's own check (the serializable shim, loading the
// installed package, as the engine does) against a live emulator whose call log must stay empty.
import { describe, expect, it } from "vitest";
import {
  consistentSnapshotGroupProvider,
  recoveryImageProvider,
  serverBackupPolicyProvider,
  serverRecoveryPolicyProvider,
  serverSuspendScheduleProvider,
  snapshotRoleProvider,
  spotInstanceProvider,
} from "../../provider";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator();

const spot = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  __identity: "test/dev/web",
};
const image = { instanceId: "i-abc123", imageName: "web-point", __identity: "test/dev/point" };
const role = { roleName: "snap", instanceIds: ["i-abc123"] };
const group = { instanceId: "i-abc123", ramRoleName: "snap", name: "db-backup", __identity: "test/dev/db" };
const win = { ...group, osType: "windows" };
const SERVER = "6f1f1e52-6d2a-4c55-9a0e-2b3c4d5e6f70";
const backup = { serverId: SERVER, schedule: "1d", __identity: "test/dev/backup" };
const heal = { serverId: SERVER, action: "rebuild-from-backup", __identity: "test/dev/heal" };
const nightly = { serverId: SERVER, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", __identity: "test/dev/nightly" };

const SECRET = "Sup3r-Secret-Pw!";
const BIG = "y".repeat(100 * 1024);
const many = (n: number, prefix = "k") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "v"]));

const PROVIDERS = {
  SpotInstance: spotInstanceProvider,
  RecoveryImage: recoveryImageProvider,
  SnapshotRole: snapshotRoleProvider,
  ConsistentSnapshotGroup: consistentSnapshotGroupProvider,
  ServerBackupPolicy: serverBackupPolicyProvider,
  ServerRecoveryPolicy: serverRecoveryPolicyProvider,
  ServerSuspendSchedule: serverSuspendScheduleProvider,
};

/** [resource, what is wrong, the inputs, the property named, a fragment of the reason (the fix)]. */
type Case = [keyof typeof PROVIDERS, string, Record<string, unknown>, string, RegExp];

const CASES: Case[] = [
  // SpotInstance: types
  ["SpotInstance", "zoneId of the wrong type", { ...spot, zoneId: 42 }, "zoneId", /zoneId must be a string, not a number/],
  ["SpotInstance", "securityGroupIds as one string", { ...spot, securityGroupIds: "sg-1" }, "securityGroupIds", /securityGroupIds must be a list/],
  ["SpotInstance", "spotPriceLimit as text", { ...spot, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: "cheap" }, "spotPriceLimit", /spotPriceLimit must be a number, not a string/],
  ["SpotInstance", "systemVolume.size as text", { ...spot, systemVolume: { size: "40" } }, "systemVolume.size", /size must be a number, not a string/],
  ["SpotInstance", "dataVolumes[0].deleteWithInstance as text", { ...spot, dataVolumes: [{ size: 20, deleteWithInstance: "no" }] }, "dataVolumes[0].deleteWithInstance", /deleteWithInstance must be true or false/],
  ["SpotInstance", "tags as a list", { ...spot, tags: ["team=a"] }, "tags", /tags must be an object of names to values, not a list/],
  // SpotInstance: required and unknown keys
  ["SpotInstance", "zoneId missing", { ...spot, zoneId: undefined }, "zoneId", /zoneId is required, e\.g\. "cn-beijing-a"/],
  ["SpotInstance", "imageId missing", { ...spot, imageId: undefined }, "imageId", /imageId is required/],
  ["SpotInstance", "a misspelt key", { ...spot, instanceType: "ecs.g3il.large" }, "instanceType", /instanceType is not a known input; did you mean instanceTypeId\?/],
  ["SpotInstance", "a key of another resource", { ...spot, colour: "red" }, "colour", /colour is not a known input; valid inputs here are zoneId, imageId/],
  ["SpotInstance", "a misspelt nested key", { ...spot, recovery: { keepImage: 3 } }, "recovery.keepImage", /did you mean keepImages\?/],
  ["SpotInstance", "a misspelt volume key", { ...spot, systemVolume: { sizeGiB: 40 } }, "systemVolume.sizeGiB", /systemVolume\.sizeGiB is not a known input; valid inputs here are volumeType, size/],
  // SpotInstance: values the cloud refuses
  ["SpotInstance", "a zone id without its letter", { ...spot, zoneId: "cn-beijing" }, "zoneId", /zoneId must look like "cn-beijing-a"/],
  ["SpotInstance", "an image name for imageId", { ...spot, imageId: "ubuntu-22.04" }, "imageId", /imageId must be an image id such as "image-ubuntu2204"/],
  ["SpotInstance", "an instance type without its family", { ...spot, instanceTypeId: "g3il.large" }, "instanceTypeId", /instanceTypeId must look like "ecs\.g3il\.large"/],
  ["SpotInstance", "a VPC id for subnetId", { ...spot, subnetId: "vpc-123" }, "subnetId", /subnetId must be a subnet id such as "subnet-abc123"/],
  ["SpotInstance", "no security group", { ...spot, securityGroupIds: [] }, "securityGroupIds", /securityGroupIds needs at least one security group id/],
  ["SpotInstance", "six security groups", { ...spot, securityGroupIds: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"] }, "securityGroupIds", /securityGroupIds takes at most 5/],
  ["SpotInstance", "an unknown spot strategy", { ...spot, spotStrategy: "Cheap" }, "spotStrategy", /spotStrategy must be "SpotAsPriceGo" or "SpotWithPriceLimit"/],
  ["SpotInstance", "a price limit without its strategy", { ...spot, spotPriceLimit: 0.5 }, "spotPriceLimit", /applies only with spotStrategy "SpotWithPriceLimit": remove it or change spotStrategy/],
  ["SpotInstance", "a price-limit strategy without a limit", { ...spot, spotStrategy: "SpotWithPriceLimit" }, "spotPriceLimit", /spotPriceLimit is required when spotStrategy is "SpotWithPriceLimit"/],
  ["SpotInstance", "a price of four decimals", { ...spot, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: 0.1234 }, "spotPriceLimit", /at most 3 decimal places/],
  ["SpotInstance", "a negative price", { ...spot, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: -1 }, "spotPriceLimit", /spotPriceLimit must be greater than 0/],
  ["SpotInstance", "a name starting with a digit", { ...spot, instanceName: "1web" }, "instanceName", /instanceName must start with a letter or a Chinese character/],
  ["SpotInstance", "a name with a space", { ...spot, instanceName: "web server" }, "instanceName", /only letters, digits, Chinese characters, "_", "-" and "\."/],
  ["SpotInstance", "a name of 129 characters", { ...spot, instanceName: `w${"x".repeat(128)}` }, "instanceName", /\(1-128 characters\)/],
  ["SpotInstance", "a description starting with a dash", { ...spot, description: "-web" }, "description", /description must start with a letter/],
  ["SpotInstance", "a hostname starting with a dash", { ...spot, hostname: "-web" }, "hostname", /hostname must not start or end with "\." or "-"/],
  ["SpotInstance", "a hostname with a doubled dot", { ...spot, hostname: "web..01" }, "hostname", /hostname must not contain "\.\."/],
  ["SpotInstance", "a one-letter hostname", { ...spot, hostname: "w" }, "hostname", /hostname is 2-63 characters on Linux/],
  ["SpotInstance", "a hostname with an underscore", { ...spot, hostname: "web_01" }, "hostname", /hostname takes only letters, digits, "\." and "-"/],
  ["SpotInstance", "a weak password", { ...spot, password: "password" }, "password", /password must be 8-30 characters with three of/],
  ["SpotInstance", "a password and a key pair", { ...spot, password: "Abcdefg1!", keyPairName: "kp" }, "password", /set either keyPairName or password, not both/],
  ["SpotInstance", "a key pair name with a space", { ...spot, keyPairName: "my key" }, "keyPairName", /keyPairName takes 1-64 letters, digits, _ \. -/],
  ["SpotInstance", "a project name with a slash", { ...spot, projectName: "team/a" }, "projectName", /projectName takes 1-64 letters, digits/],
  ["SpotInstance", "user data over 16 KB", { ...spot, userData: "x".repeat(16 * 1024 + 1) }, "userData", /userData is at most 16 KB before encoding/],
  ["SpotInstance", "a system volume under 20 GiB", { ...spot, systemVolume: { size: 5 } }, "systemVolume.size", /systemVolume\.size is at least 20 \(GiB\)/],
  ["SpotInstance", "a system volume over 2 TiB", { ...spot, systemVolume: { size: 4096 } }, "systemVolume.size", /systemVolume\.size is at most 2048 \(GiB\)/],
  ["SpotInstance", "a fractional system volume", { ...spot, systemVolume: { size: 40.5 } }, "systemVolume.size", /systemVolume\.size must be a whole number/],
  ["SpotInstance", "an unsupported volume type", { ...spot, dataVolumes: [{ size: 20, volumeType: "ESSD_PL3" }] }, "dataVolumes[0].volumeType", /must be one of ESSD_PL0, ESSD_FlexPL, PTSSD/],
  ["SpotInstance", "a data volume under 10 GiB", { ...spot, dataVolumes: [{ size: 5 }] }, "dataVolumes[0].size", /dataVolumes\[\]\.size is at least 10 \(GiB\)/],
  ["SpotInstance", "a data volume without a size", { ...spot, dataVolumes: [{ volumeType: "ESSD_PL0" }] }, "dataVolumes[0].size", /dataVolumes\[\]\.size is required \(GiB\)/],
  ["SpotInstance", "sixteen data volumes", { ...spot, dataVolumes: Array.from({ length: 16 }, () => ({ size: 10 })) }, "dataVolumes", /dataVolumes takes at most 15 volumes \(16 with the system volume\)/],
  ["SpotInstance", "a data volume from an image id", { ...spot, dataVolumes: [{ size: 20, snapshotId: "image-1" }] }, "dataVolumes[0].snapshotId", /must be a snapshot id such as "snap-abc123"/],
  ["SpotInstance", "an adopted instance by name", { ...spot, adoptInstanceId: "web" }, "adoptInstanceId", /adoptInstanceId must be an instance id such as "i-abc123"/],
  ["SpotInstance", "a region in capitals", { ...spot, region: "Beijing" }, "region", /region must look like "cn-beijing"/],
  // SpotInstance: tags and the tag budget
  ["SpotInstance", "a tag key of ours", { ...spot, tags: { "pulumi-recovery:x": "1" } }, "tags", /tag keys starting with "pulumi-recovery:" are reserved/],
  ["SpotInstance", "a tag key of the cloud's", { ...spot, tags: { "volc:owner": "me" } }, "tags.volc:owner", /must not start with "volc:" or "sys:"/],
  ["SpotInstance", "a tag value of 257 characters", { ...spot, tags: { team: "v".repeat(257) } }, "tags.team", /tag values are at most 256/],
  ["SpotInstance", "a tag value with a newline", { ...spot, tags: { team: "a\nb" } }, "tags.team", /tag values are at most 256 letters, digits, spaces or _ \. : \/ = \+ - @/],
  ["SpotInstance", "18 tags (over the budget)", { ...spot, tags: many(18) }, "tags", /tags takes at most 17 tags: a resource holds 20, and pulumi-recovery keeps 3/],
  // SpotInstance: the recovery policy, retention and durations
  ["SpotInstance", "an unknown interruption action", { ...spot, recovery: { onInterruption: "pray" } }, "recovery.onInterruption", /recovery\.onInterruption must be one of image-and-relaunch, image-only, none/],
  ["SpotInstance", "keeping no image", { ...spot, recovery: { keepImages: 0 } }, "recovery.keepImages", /recovery\.keepImages is at least 1/],
  ["SpotInstance", "keeping 21 images", { ...spot, recovery: { keepImages: 21 } }, "recovery.keepImages", /recovery\.keepImages is at most 20/],
  ["SpotInstance", "keeping 2.5 images", { ...spot, recovery: { keepImages: 2.5 } }, "recovery.keepImages", /recovery\.keepImages must be a whole number/],
  ["SpotInstance", "a rolling point every minute", { ...spot, recovery: { imageEvery: "1m" } }, "recovery.imageEvery", /recovery\.imageEvery must be a duration .* at least "5m"/],
  ["SpotInstance", "a rolling interval in words", { ...spot, recovery: { imageEvery: "half an hour" } }, "recovery.imageEvery", /recovery\.imageEvery must be a duration such as "10m", "90s" or "1h30m"/],
  ["SpotInstance", "an empty guest hook", { ...spot, recovery: { guestHook: { command: "" } } }, "recovery.guestHook.command", /recovery\.guestHook\.command must not be empty/],
  ["SpotInstance", "a guest hook longer than the notice allows", { ...spot, recovery: { guestHook: { command: "sync", timeoutSeconds: 300 } } }, "recovery.guestHook.timeoutSeconds", /at most 120 \(it is taken from the five-minute notice\)/],
  ["SpotInstance", "four fallback placements", { ...spot, recovery: { fallbacks: Array.from({ length: 4 }, () => ({ zoneId: "cn-beijing-b", subnetId: "subnet-b" })) } }, "recovery.fallbacks", /recovery\.fallbacks takes at most 3 placements/],
  ["SpotInstance", "a fallback zone without its letter", { ...spot, recovery: { fallbacks: [{ zoneId: "cn-beijing", subnetId: "subnet-b" }] } }, "recovery.fallbacks[0].zoneId", /must look like "cn-beijing-b"/],
  ["SpotInstance", "a create timeout in words", { ...spot, timeouts: { create: "soon" } }, "timeouts.create", /timeouts\.create must be a duration such as "10m"/],
  ["SpotInstance", "a timeout with a space", { ...spot, timeouts: { delete: "10 m" } }, "timeouts.delete", /timeouts\.delete must be a duration/],
  ["SpotInstance", "a read timeout (there is none)", { ...spot, timeouts: { read: "5m" } }, "timeouts.read", /timeouts\.read is not a known input; valid inputs here are create, update, delete/],

  // RecoveryImage
  ["RecoveryImage", "instanceId missing", { ...image, instanceId: undefined }, "instanceId", /instanceId is required: the instance to take the recovery point of/],
  ["RecoveryImage", "an instance name for instanceId", { ...image, instanceId: "web" }, "instanceId", /instanceId must be an instance id such as "i-abc123"/],
  ["RecoveryImage", "imageName missing", { ...image, imageName: undefined }, "imageName", /imageName is required/],
  ["RecoveryImage", "an image name with a slash", { ...image, imageName: "web/point" }, "imageName", /imageName must start with a letter .* only letters, digits/],
  ["RecoveryImage", "a description with a newline", { ...image, description: "line\nbreak" }, "description", /description must start with a letter or a Chinese character and use only/],
  ["RecoveryImage", "wholeImage as text", { ...image, wholeImage: "yes" }, "wholeImage", /wholeImage must be true or false, not a string/],
  ["RecoveryImage", "19 tags (over the budget)", { ...image, tags: many(19) }, "tags", /tags takes at most 18 tags: a resource holds 20, and pulumi-recovery keeps 2/],
  ["RecoveryImage", "a tag key of ours", { ...image, tags: { "pulumi-recovery:source": "i-1" } }, "tags", /reserved for pulumi-recovery's own bookkeeping/],
  ["RecoveryImage", "an adopted image by name", { ...image, adoptImageId: "web-point" }, "adoptImageId", /adoptImageId must be an image id such as "image-abc123"/],
  ["RecoveryImage", "an output given as an input", { ...image, imageId: "image-1" }, "imageId", /imageId is not a known input; valid inputs here are instanceId, imageName, description/],
  ["RecoveryImage", "a create timeout in words", { ...image, timeouts: { create: "an hour" } }, "timeouts.create", /timeouts\.create must be a duration/],

  // SnapshotRole
  ["SnapshotRole", "roleName missing", { instanceIds: [] }, "roleName", /roleName is required \(1-64 letters, digits, '\.' or '-'\)/],
  ["SnapshotRole", "a role name with a space", { ...role, roleName: "snap role" }, "roleName", /roleName takes 1-64 letters, digits, '\.' or '-'/],
  ["SnapshotRole", "a role name of 65 characters", { ...role, roleName: "r".repeat(65) }, "roleName", /roleName takes 1-64/],
  ["SnapshotRole", "a policy name with an underscore", { ...role, policyName: "snap_policy" }, "policyName", /policyName takes 1-128 letters, digits or '-'/],
  ["SnapshotRole", "a description over 1024 characters", { ...role, description: "d".repeat(1025) }, "description", /description is at most 1024 characters/],
  ["SnapshotRole", "instance names for instanceIds", { ...role, instanceIds: ["db"] }, "instanceIds[0]", /instanceIds must be instance ids such as "i-abc123"/],
  ["SnapshotRole", "instanceIds as one string", { ...role, instanceIds: "i-abc123" }, "instanceIds", /instanceIds must be a list, not a string/],
  ["SnapshotRole", "101 instances", { ...role, instanceIds: Array.from({ length: 101 }, (_, i) => `i-${i}`) }, "instanceIds", /instanceIds takes at most 100 instances/],
  ["SnapshotRole", "a misspelt key", { ...role, instanceId: "i-abc123" }, "instanceId", /did you mean instanceIds\?/],

  // ConsistentSnapshotGroup: types, keys, names
  ["ConsistentSnapshotGroup", "instanceId missing", { ...group, instanceId: undefined }, "instanceId", /instanceId is required/],
  ["ConsistentSnapshotGroup", "ramRoleName missing", { ...group, ramRoleName: undefined }, "ramRoleName", /ramRoleName is required: the RAM role attached to the instance \(see SnapshotRole\)/],
  ["ConsistentSnapshotGroup", "an unknown OS", { ...group, osType: "macos" }, "osType", /osType is "linux" or "windows"/],
  ["ConsistentSnapshotGroup", "a one-letter group name", { ...group, name: "a" }, "name", /name is 2-128 characters, starts with a letter/],
  ["ConsistentSnapshotGroup", "a group name with a space", { ...group, name: "db backup" }, "name", /takes only letters, digits, '\.', '_', '-' and ':'/],
  ["ConsistentSnapshotGroup", "a description with a newline", { ...group, description: "nightly\nbackup" }, "description", /description must not contain control characters/],
  ["ConsistentSnapshotGroup", "a description over 256 characters", { ...group, description: "d".repeat(257) }, "description", /description takes 2-256 characters/],
  ["ConsistentSnapshotGroup", "a one-character description", { ...group, description: "d" }, "description", /description takes 2-256 characters/],
  ["ConsistentSnapshotGroup", "a description that is a link", { ...group, description: "https://wiki/backups" }, "description", /description must not start with http:\/\/ or https:\/\//],
  ["ConsistentSnapshotGroup", "129 excluded disks", { ...group, excludeDiskIds: Array.from({ length: 129 }, (_, i) => `d-${i}`) }, "excludeDiskIds", /excludeDiskIds takes at most 128 disks/],
  ["ConsistentSnapshotGroup", "a disk name for excludeDiskIds", { ...group, excludeDiskIds: ["data-disk"] }, "excludeDiskIds[0]", /excludeDiskIds must be disk ids such as "d-abc123"/],
  ["ConsistentSnapshotGroup", "instantAccess as text", { ...group, instantAccess: "true" }, "instantAccess", /instantAccess must be true or false, not a string/],
  ["ConsistentSnapshotGroup", "a misspelt key", { ...group, preScript: "/root/pre.sh" }, "preScript", /did you mean preScriptPath\?/],
  // ConsistentSnapshotGroup: script paths
  ["ConsistentSnapshotGroup", "a relative script path", { ...group, preScriptPath: "scripts/pre.sh", postScriptPath: "/root/post.sh" }, "preScriptPath", /preScriptPath must be an absolute path such as \/root\/prescript\.sh/],
  ["ConsistentSnapshotGroup", "a script path with a newline", { ...group, preScriptPath: "/root/pre.sh\nrm -rf /", postScriptPath: "/root/post.sh" }, "preScriptPath", /preScriptPath must not contain control characters/],
  ["ConsistentSnapshotGroup", "a pre-script without a post-script", { ...group, preScriptPath: "/root/pre.sh" }, "postScriptPath", /preScriptPath and postScriptPath go together: set both or neither/],
  // ConsistentSnapshotGroup: Windows
  ["ConsistentSnapshotGroup", "scripts on Windows", { ...win, preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh" }, "preScriptPath", /applies to Linux only \(on Windows, VSS writers freeze the applications: use enableWriters\)/],
  ["ConsistentSnapshotGroup", "fs freeze on Windows", { ...win, enableFsFreeze: true }, "enableFsFreeze", /enableFsFreeze applies to Linux only/],
  ["ConsistentSnapshotGroup", "an ampersand in a Windows name", { ...win, name: "db&backup" }, "name", /name is 2-128 characters|must not contain any of " % \^ & \| < > ! ,/],
  ["ConsistentSnapshotGroup", "a non-ASCII Windows description", { ...win, description: "nächtlich" }, "description", /description takes only printable ASCII characters on Windows \(cmd\.exe reads the command in a code page/],
  ["ConsistentSnapshotGroup", "a Windows script path with a tab", { ...group, preScriptPath: "/root/pre\t.sh", postScriptPath: "/root/post.sh" }, "preScriptPath", /preScriptPath must not contain control characters/],
  ["ConsistentSnapshotGroup", "VSS writers on Linux", { ...group, enableWriters: true }, "enableWriters", /enableWriters applies to Windows only/],
  // ConsistentSnapshotGroup: retention and durations
  ["ConsistentSnapshotGroup", "no days of retention", { ...group, instantAccess: true, instantAccessRetentionDays: 0 }, "instantAccessRetentionDays", /instantAccessRetentionDays is at least 1/],
  ["ConsistentSnapshotGroup", "too many days of retention", { ...group, instantAccess: true, instantAccessRetentionDays: 65536 }, "instantAccessRetentionDays", /instantAccessRetentionDays is at most 65535/],
  ["ConsistentSnapshotGroup", "half a day of retention", { ...group, instantAccess: true, instantAccessRetentionDays: 1.5 }, "instantAccessRetentionDays", /instantAccessRetentionDays must be a whole number/],
  ["ConsistentSnapshotGroup", "a freeze timeout of 0 s", { ...group, freezeTimeoutSeconds: 0 }, "freezeTimeoutSeconds", /freezeTimeoutSeconds is at least 1/],
  ["ConsistentSnapshotGroup", "a freeze timeout over an hour", { ...group, freezeTimeoutSeconds: 3601 }, "freezeTimeoutSeconds", /freezeTimeoutSeconds is at most 3600/],
  ["ConsistentSnapshotGroup", "a script timeout over a day", { ...group, scriptTimeoutSeconds: 86401 }, "scriptTimeoutSeconds", /scriptTimeoutSeconds is at most 86400/],
  ["ConsistentSnapshotGroup", "a script timeout as text", { ...group, scriptTimeoutSeconds: "60" }, "scriptTimeoutSeconds", /scriptTimeoutSeconds must be a number, not a string/],
  ["ConsistentSnapshotGroup", "a create timeout in words", { ...group, timeouts: { create: "forever" } }, "timeouts.create", /timeouts\.create must be a duration/],
  // ServerBackupPolicy (OpenStack)
  ["ServerBackupPolicy", "serverId missing", { ...backup, serverId: undefined }, "serverId", /serverId is required: the id of the Nova server/],
  ["ServerBackupPolicy", "a server name for serverId", { ...backup, serverId: "web-1" }, "serverId", /serverId must be a Nova server id \(a UUID\)/],
  ["ServerBackupPolicy", "a schedule in words", { ...backup, schedule: "every night" }, "schedule", /^schedule /],
  ["ServerBackupPolicy", "a backup every 10 minutes", { ...backup, schedule: "10m" }, "schedule", /fires more often than once an hour/],
  ["ServerBackupPolicy", "a schedule that never fires", { ...backup, schedule: "0 0 31 2 *" }, "schedule", /schedule never fires/],
  ["ServerBackupPolicy", "a time zone that does not exist", { ...backup, timezone: "Mars/Olympus" }, "timezone", /timezone must be an IANA time zone such as "UTC"/],
  ["ServerBackupPolicy", "keeping no backup", { ...backup, rotation: 0 }, "rotation", /rotation must be at least 1 \(Nova deletes every backup of the type/],
  ["ServerBackupPolicy", "keeping 101 backups", { ...backup, rotation: 101 }, "rotation", /rotation must be at most 100/],
  ["ServerBackupPolicy", "keeping 2.5 backups", { ...backup, rotation: 2.5 }, "rotation", /rotation must be a whole number/],
  ["ServerBackupPolicy", "a backup type with spaces", { ...backup, backupType: "daily backups" }, "backupType", /backupType must be 1-64 letters, digits, '_' or '-'/],
  ["ServerBackupPolicy", "a name prefix starting with a dash", { ...backup, namePrefix: "-nightly" }, "namePrefix", /namePrefix must start with a letter or digit/],
  ["ServerBackupPolicy", "deleteBackupsOnDestroy as text", { ...backup, deleteBackupsOnDestroy: "yes" }, "deleteBackupsOnDestroy", /deleteBackupsOnDestroy must be true or false, not a string/],
  ["ServerBackupPolicy", "a misspelt key", { ...backup, rotaton: 3 }, "rotaton", /did you mean rotation\?/],
  ["ServerBackupPolicy", "a cron schedule in a time zone that does not exist", { ...backup, schedule: "0 2 * * *", timezone: "Europe/Atlantis" }, "timezone", /timezone must be an IANA time zone/],
  // ServerRecoveryPolicy (OpenStack)
  ["ServerRecoveryPolicy", "an action Nova has no policy for", { ...heal, action: "reboot" }, "action", /action must be one of rescue, rebuild-from-backup/],
  ["ServerRecoveryPolicy", "a rescue without its image", { ...heal, action: "rescue" }, "rescueImageId", /rescueImageId is required with action rescue/],
  ["ServerRecoveryPolicy", "an image name for rescueImageId", { ...heal, action: "rescue", rescueImageId: "cirros" }, "rescueImageId", /rescueImageId must be a Glance image id \(a UUID\)/],
  ["ServerRecoveryPolicy", "a backup type with a rescue", { ...heal, action: "rescue", rescueImageId: SERVER, backupType: "daily" }, "backupType", /backupType applies only with action rebuild-from-backup/],
  ["ServerRecoveryPolicy", "a probe both HTTP and TCP", { ...heal, healthProbe: { http: "http://{ip}/healthz", tcp: "{ip}:22" } }, "healthProbe", /healthProbe takes exactly one of http or tcp/],
  ["ServerRecoveryPolicy", "an FTP health probe", { ...heal, healthProbe: { http: "ftp://{ip}/" } }, "healthProbe.http", /healthProbe\.http must be an http\(s\) URL/],
  ["ServerRecoveryPolicy", "a TCP probe without a port", { ...heal, healthProbe: { tcp: "{ip}" } }, "healthProbe.tcp", /healthProbe\.tcp must be host:port/],
  ["ServerRecoveryPolicy", "a probe that never tolerates a failure", { ...heal, healthProbe: { tcp: "{ip}:22", failuresBeforeAction: 0 } }, "healthProbe.failuresBeforeAction", /healthProbe\.failuresBeforeAction must be at least 1/],
  ["ServerRecoveryPolicy", "a probe timeout of two minutes", { ...heal, healthProbe: { tcp: "{ip}:22", timeout: "2m" } }, "healthProbe.timeout", /healthProbe\.timeout must be from 1s to 60s/],
  ["ServerRecoveryPolicy", "a cooldown of 30 s", { ...heal, cooldown: "30s" }, "cooldown", /cooldown must be a duration .* at least "1m"/],
  ["ServerRecoveryPolicy", "a policy that would never act", { ...heal, onError: false }, "onError", /the policy would never act: keep onError, set expectRunning, or declare a healthProbe/],
  // ServerSuspendSchedule (OpenStack)
  ["ServerSuspendSchedule", "an unknown mode", { ...nightly, mode: "hibernate" }, "mode", /mode must be one of suspend, pause/],
  ["ServerSuspendSchedule", "suspendAt missing", { ...nightly, suspendAt: undefined }, "suspendAt", /suspendAt is required: a cron expression such as "0 20 \* \* 1-5"/],
  ["ServerSuspendSchedule", "a duration for suspendAt", { ...nightly, suspendAt: "8h" }, "suspendAt", /suspendAt must be a cron expression \(a time of day/],
  ["ServerSuspendSchedule", "resuming when it suspends", { ...nightly, resumeAt: "0 20 * * 1-5" }, "resumeAt", /resumeAt must differ from suspendAt/],
  ["ServerSuspendSchedule", "a time zone that does not exist", { ...nightly, timezone: "Europe/Atlantis" }, "timezone", /timezone must be an IANA time zone/],
];

async function check(resource: keyof typeof PROVIDERS, news: Record<string, unknown>) {
  const defined = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined));
  const { failures } = await PROVIDERS[resource].check!({}, defined);
  return failures ?? [];
}

describe("bad inputs are refused at check, naming the field and the fix, with no cloud call", () => {
  it("has the cases the catalogue promises: at least 60, across every resource", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c[0]))).toEqual(new Set(Object.keys(PROVIDERS)));
  });

  it.each(Object.entries({ SpotInstance: spot, RecoveryImage: image, SnapshotRole: role, ConsistentSnapshotGroup: group, ServerBackupPolicy: backup, ServerRecoveryPolicy: heal, ServerSuspendSchedule: nightly }))("the catalogue's good %s inputs pass (so each case fails for its own reason)", async (resource, news) => {
    expect(await check(resource as keyof typeof PROVIDERS, news)).toEqual([]);
    expect(await ctx.emu.admin.calls()).toEqual([]);
  });

  it.each(CASES)("%s: %s", async (resource, _what, news, property, reason) => {
    const failures = await check(resource, news);
    const f = failures.find((x) => x.property === property);
    expect(f, `no failure on ${property}: ${JSON.stringify(failures)}`).toBeDefined();
    expect(f!.reason).toMatch(reason);
    // Our words, never the validator's.
    expect(f!.reason).not.toMatch(/Invalid (input|key in record|option)|expected (int|string|number)|received/);
    expect(await ctx.emu.admin.calls()).toEqual([]);
  });

  it("never echoes a secret, nor 100 KB of user data, in any message", async () => {
    const failures = await check("SpotInstance", { ...spot, password: SECRET, keyPairName: "kp", userData: BIG, spotPriceLimit: 0.1, tags: { team: BIG } });
    expect(failures.map((f) => f.property).sort()).toEqual(["password", "spotPriceLimit", "tags.team", "userData"]);
    const text = JSON.stringify(failures);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("yyyyyyyy");
    expect(text.length).toBeLessThan(2_000);
    const windows = JSON.stringify(await check("ConsistentSnapshotGroup", { ...win, description: `${SECRET}%${BIG}` }));
    expect(windows).not.toContain(SECRET);
    expect(windows.length).toBeLessThan(1_000);
    expect(await ctx.emu.admin.calls()).toEqual([]);
  });

  it("reports every failure of one resource at once, not only the first", async () => {
    const failures = await check("SpotInstance", { ...spot, zoneId: "beijing", hostname: "-x", recovery: { keepImages: 0 }, timeouts: { create: "soon" } });
    expect(failures.map((f) => f.property).sort()).toEqual(["hostname", "recovery.keepImages", "timeouts.create", "zoneId"]);
    expect(await ctx.emu.admin.calls()).toEqual([]);
  });
});
