// Nova state and state machines: flavors, keypairs, servers with their simulated disks. Every action
// checks vm_state and task_state as nova's compute API does (nova compute/api.py check_instance_state:
// the vm_states an action allows, task_state None unless said otherwise, launched at least once), then
// starts an operation whose task_state phases and final vm_state/power_state follow from the emulated
// clock; `settle` applies the operations due by now (no timers).
import { randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../../clock";
import { AdminError, FlavorNotFound, InstanceInvalidState, NovaBadRequest, NovaFault, NovaItemNotFound, ServerNotFound } from "../errors";
import type { Files, ImageModel } from "../image/model";
import type { OpenStackOptions } from "../models";
import type { NetworkModel } from "../network/model";

export type VmState = "building" | "active" | "stopped" | "paused" | "suspended" | "rescued" | "error";

/** nova objects/fields.py PowerState values as the API shows them (OS-EXT-STS:power_state). */
export const POWER = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
}

export interface Phase {
  task: string;
  until: number;
}

export interface Operation {
  action: string;
  startedAt: number;
  /** Consecutive task_state phases; the operation ends with the last one. */
  phases: Phase[];
  /** vm_state and power_state once done (a backup leaves them as they were; a delete removes the server). */
  result?: { vmState: VmState; powerState: number };
  backup?: { imageId: string; backupType: string; rotation: number; captureAt: number; captured: boolean };
  rescueImageId?: string;
  rebuildImageId?: string;
}

export interface Fault {
  code: number;
  message: string;
  details?: string;
  created: number;
}

export interface Server {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  flavorId: string;
  imageId: string;
  keyName: string | null;
  metadata: Record<string, string>;
  userData: string | null;
  description: string | null;
  hostname: string;
  createdAt: number;
  updatedAt: number;
  launchedAt: number | null;
  vmState: VmState;
  powerState: number;
  op?: Operation;
  fault?: Fault;
  portIds: string[];
  /** The root disk: path → content. */
  disk: Files;
  /** While rescued: the rescue image's disk the server boots from (the root disk is the second disk). */
  rescueDisk?: Files;
  /** Order of creation, to break ties between equal timestamps. */
  seq: number;
}

export type NetworkRequest = { uuid?: string; port?: string; fixed_ip?: string }[] | "auto" | "none" | undefined;

const RESCUE_STATES: VmState[] = ["active", "stopped", "error"];

/** DevStack's flavors (nova-manage/devstack create these; ids as DevStack sets them). */
function seedFlavors(): Flavor[] {
  const f = (id: string, name: string, ram: number, disk: number, vcpus: number): Flavor => ({ id, name, ram, disk, vcpus, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} });
  return [f("1", "m1.tiny", 512, 1, 1), f("2", "m1.small", 2048, 20, 1), f("3", "m1.medium", 4096, 40, 2), f("4", "m1.large", 8192, 80, 4), f("42", "m1.nano", 128, 1, 1)];
}

export class ComputeModel {
  flavors = new Map<string, Flavor>();
  keypairs = new Map<string, { name: string; publicKey: string; fingerprint: string; type: string }>();
  servers = new Map<string, Server>();
  private seq = 0;
  private imageSeq = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: OpenStackOptions,
    private readonly images: ImageModel,
    private readonly network: NetworkModel,
  ) {
    this.seed();
  }

  reset(): void {
    this.flavors.clear();
    this.keypairs.clear();
    this.servers.clear();
    this.imageSeq.clear();
    this.seed();
  }

  private seed(): void {
    for (const f of seedFlavors()) this.flavors.set(f.id, f);
    this.keypairs.set("emulator-key", { name: "emulator-key", type: "ssh", publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorEmulatorEmulatorEmulatorEmulatorEmu emulator", fingerprint: "a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90" });
  }

  // ---- lookups ----

  getServer(id: string, projectId: string): Server {
    const s = this.servers.get(id);
    if (!s || s.projectId !== projectId) throw new ServerNotFound(id);
    return s;
  }

  getFlavor(id: string): Flavor {
    const f = this.flavors.get(id);
    if (!f) throw new FlavorNotFound(id);
    return f;
  }

  taskState(s: Server): string | null {
    if (!s.op) return null;
    const now = this.clock.now();
    return s.op.phases.find((p) => now < p.until)?.task ?? null;
  }

  /** nova api/openstack/common.py status_from_state (_STATE_MAP): the API status from vm_state and task_state. */
  status(s: Server): string {
    const task = this.taskState(s);
    switch (s.vmState) {
      case "building":
        return "BUILD";
      case "active":
        if (task && ["rebooting", "reboot_pending", "reboot_started"].includes(task)) return "REBOOT";
        if (task && ["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"].includes(task)) return "HARD_REBOOT";
        if (task && task.startsWith("rebuild")) return "REBUILD";
        return "ACTIVE";
      case "stopped":
        return task && task.startsWith("rebuild") ? "REBUILD" : "SHUTOFF";
      case "paused":
        return "PAUSED";
      case "suspended":
        return "SUSPENDED";
      case "rescued":
        return "RESCUE";
      case "error":
        return task && task.startsWith("rebuild") ? "REBUILD" : "ERROR";
    }
  }

  /** Time-driven transitions: every operation whose last phase ended by now completes, oldest first. */
  settle(): void {
    const now = this.clock.now();
    // A backup's disk copy is taken when the compute host snapshots it (see backupCapturesDisk).
    for (const s of this.servers.values()) if (s.op?.backup && !s.op.backup.captured && now >= s.op.backup.captureAt) this.capture(s);
    const due = [...this.servers.values()].filter((s) => s.op && end(s.op) <= now).sort((a, b) => end(a.op!) - end(b.op!));
    for (const s of due) this.complete(s);
  }

  private capture(s: Server): void {
    const b = s.op!.backup!;
    const img = this.images.images.get(b.imageId);
    if (img) img.files = { ...s.disk };
    b.captured = true;
  }

  private complete(s: Server): void {
    const op = s.op!;
    if (op.backup && !op.backup.captured) this.capture(s);
    const at = end(op);
    s.op = undefined;
    s.updatedAt = at;
    if (op.action === "delete") {
      this.network.deleteServerPorts(s.id);
      this.servers.delete(s.id);
      return;
    }
    if (op.action === "build") s.launchedAt = at;
    if (op.action === "rescue") s.rescueDisk = { ...(this.images.images.get(op.rescueImageId!)?.files ?? {}) };
    if (op.action === "unrescue") s.rescueDisk = undefined;
    if (op.action === "rebuild") s.disk = { ...(this.images.images.get(op.rebuildImageId!)?.files ?? {}) };
    if (op.backup) this.rotateBackups(s, op.backup.backupType, op.backup.rotation);
    if (op.result) {
      s.vmState = op.result.vmState;
      s.powerState = op.result.powerState;
    }
  }

  /**
   * nova compute/manager.py backup_instance → _rotate_backups, once the upload is done: the server's
   * images with image_type=backup and this backup_type, newest first; those beyond `rotation` are deleted.
   */
  private rotateBackups(s: Server, backupType: string, rotation: number): void {
    const backups = [...this.images.images.values()]
      .filter((i) => i.properties.image_type === "backup" && i.properties.backup_type === backupType && i.properties.instance_uuid === s.id)
      .sort((a, b) => b.createdAt - a.createdAt || (this.imageSeq.get(b.id) ?? 0) - (this.imageSeq.get(a.id) ?? 0));
    for (const img of backups.slice(rotation)) this.images.images.delete(img.id);
  }

  // ---- the compute API's state checks ----

  // nova compute/api.py check_instance_state: vm_state first, then task_state (None by default), then launched_at;
  // api/openstack/common.py words the 409 "Cannot '<action>' instance <id> while it is in <attr> <state>".
  private check(s: Server, action: string, vmStates: VmState[] | null, taskStates: (string | null)[] | null = [null], mustHaveLaunched = true): void {
    if (vmStates && !vmStates.includes(s.vmState)) throw new InstanceInvalidState(action, s.id, "vm_state", s.vmState);
    const task = this.taskState(s);
    if (taskStates && !taskStates.includes(task)) throw new InstanceInvalidState(action, s.id, "task_state", task);
    if (mustHaveLaunched && s.launchedAt === null) throw new NovaFault(409, `Cannot '${action}' instance ${s.id} while it is in launched_at None`);
  }

  private start(s: Server, action: string, tasks: [string, number][], result?: Operation["result"], extra: Partial<Operation> = {}): Operation {
    const now = this.clock.now();
    let t = now;
    const phases = tasks.map(([task, seconds]) => ({ task, until: (t += Math.max(seconds, 0) * 1000) }));
    s.op = { action, startedAt: now, phases, result, ...extra };
    s.updatedAt = now;
    return s.op;
  }

  private split(total: number, tasks: string[]): [string, number][] {
    return tasks.map((t) => [t, total / tasks.length]);
  }

  // ---- servers ----

  createServer(req: { projectId: string; userId: string; name: string; imageRef: string; flavorRef: string; networks: NetworkRequest; keyName?: string; metadata?: Record<string, string>; userData?: string; description?: string; adminPass?: string }): { server: Server; adminPass: string } {
    const image = this.images.images.get(req.imageRef);
    // nova api servers.py create: ImageNotFound → 400 "Can not find requested image"; ImageNotActive → 400.
    if (!image || !(image.visibility === "public" || image.owner === req.projectId)) throw new NovaBadRequest("Can not find requested image");
    if (this.images.status(image) !== "active") throw new NovaBadRequest(`Image ${image.id} is not active.`);
    const flavor = this.flavors.get(req.flavorRef);
    if (!flavor) throw new NovaBadRequest(`Flavor ${req.flavorRef} could not be found.`);
    // nova exception FlavorDiskTooSmall (servers.py INVALID_FLAVOR_IMAGE_EXCEPTIONS → 400).
    if (flavor.disk > 0 && (image.minDisk > flavor.disk || image.size > flavor.disk * 2 ** 30)) throw new NovaBadRequest("The created instance's disk would be too small.");
    if (req.keyName !== undefined && !this.keypairs.has(req.keyName)) throw new NovaBadRequest("Invalid key_name provided.");
    const networkIds = this.resolveNetworks(req.networks, req.projectId);
    const now = this.clock.now();
    const id = randomUUID();
    const adminPass = req.adminPass ?? randomBytes(9).toString("base64url").slice(0, 12);
    const server: Server = {
      id,
      name: req.name,
      projectId: req.projectId,
      userId: req.userId,
      flavorId: flavor.id,
      imageId: image.id,
      keyName: req.keyName ?? null,
      metadata: req.metadata ?? {},
      userData: req.userData ?? null,
      description: req.description ?? null,
      hostname: hostnameOf(req.name),
      createdAt: now,
      updatedAt: now,
      launchedAt: null,
      vmState: "building",
      powerState: POWER.NOSTATE,
      portIds: networkIds.map((n) => this.network.createServerPort(n, id, req.projectId).id),
      disk: { ...image.files },
      seq: ++this.seq,
    };
    this.servers.set(id, server);
    // nova compute/task_states.py: a build goes scheduling → networking → block_device_mapping → spawning.
    this.start(server, "build", this.split(this.opts.buildSeconds, ["scheduling", "networking", "block_device_mapping", "spawning"]), { vmState: "active", powerState: POWER.RUNNING });
    return { server, adminPass };
  }

  /**
   * nova api-ref servers.inc create `networks`: a list of {uuid}, or from 2.37 "auto" (the project's
   * network, allocated if need be) or "none". Without networks (before 2.37) Nova attaches every network
   * the project may use; nova exception NetworkAmbiguous (409) when "auto" finds more than one.
   */
  private resolveNetworks(req: NetworkRequest, projectId: string): string[] {
    if (req === "none") return [];
    if (req === undefined || req === "auto") {
      const nets = this.network.available(projectId);
      if (req === "auto" && nets.length > 1) throw new NovaFault(409, "More than one possible network found. Specify network ID(s) to select which one(s) to connect to.");
      return nets.map((n) => n.id);
    }
    return req.map((r) => {
      if (r.port) throw new NovaBadRequest(`Port ${r.port} could not be found.`);
      const n = r.uuid ? this.network.networks.get(r.uuid) : undefined;
      if (!n || !(n.projectId === projectId || n.shared)) throw new NovaBadRequest(`Network ${r.uuid} could not be found.`);
      if (!n.subnetIds.length) throw new NovaBadRequest(`Network ${n.id} requires a subnet in order to boot instances on.`);
      return n.id;
    });
  }

  /** nova compute/api.py delete (check_instance_state(vm_state=None, task_state=None)): any state; servers.inc: 204, task_state deleting, then gone. */
  deleteServer(s: Server): void {
    if (s.op?.action === "delete") return;
    this.abort(s);
    this.start(s, "delete", [["deleting", this.opts.deleteSeconds]]);
  }

  /** An operation in flight stops; the backup it was uploading fails as configured. */
  private abort(s: Server): void {
    const backup = s.op?.backup;
    if (backup) {
      const img = this.images.images.get(backup.imageId);
      if (img && this.images.status(img) !== "active") {
        if (this.opts.failedBackupImage === "deleted") this.images.images.delete(img.id);
        else img.killed = true;
      }
    }
    s.op = undefined;
  }

  // ---- actions (POST /servers/{id}/action); each returns what the response needs ----

  suspend(s: Server): void {
    this.check(s, "suspend", ["active"]); // nova compute/api.py suspend: vm_state active
    this.start(s, "suspend", [["suspending", this.opts.actionSeconds]], { vmState: "suspended", powerState: POWER.SUSPENDED });
  }

  resume(s: Server): void {
    this.check(s, "resume", ["suspended"]); // nova compute/api.py resume: vm_state suspended
    this.start(s, "resume", [["resuming", this.opts.actionSeconds]], { vmState: "active", powerState: POWER.RUNNING });
  }

  pause(s: Server): void {
    this.check(s, "pause", ["active"]); // nova compute/api.py pause: vm_state active
    this.start(s, "pause", [["pausing", this.opts.actionSeconds]], { vmState: "paused", powerState: POWER.PAUSED });
  }

  unpause(s: Server): void {
    this.check(s, "unpause", ["paused"]); // nova compute/api.py unpause: vm_state paused
    this.start(s, "unpause", [["unpausing", this.opts.actionSeconds]], { vmState: "active", powerState: POWER.RUNNING });
  }

  stop(s: Server): void {
    this.check(s, "stop", ["active", "error"]); // nova api-ref servers-actions.inc os-stop: status ACTIVE or ERROR
    this.start(s, "stop", [["powering-off", this.opts.actionSeconds]], { vmState: "stopped", powerState: POWER.SHUTDOWN });
  }

  startServer(s: Server): void {
    this.check(s, "start", ["stopped"]); // nova api-ref servers-actions.inc os-start: status SHUTOFF
    this.start(s, "start", [["powering-on", this.opts.actionSeconds]], { vmState: "active", powerState: POWER.RUNNING });
  }

  reboot(s: Server, type: "SOFT" | "HARD"): void {
    if (type === "SOFT") {
      // nova api-ref servers-actions.inc reboot: SOFT only from ACTIVE (compute/api.py: task_state None).
      this.check(s, "reboot", ["active"]);
      this.start(s, "reboot", this.split(this.opts.actionSeconds, ["rebooting", "reboot_pending", "reboot_started"]), { vmState: "active", powerState: POWER.RUNNING });
      return;
    }
    // servers-actions.inc reboot: HARD from ACTIVE, ERROR, PAUSED, SHUTOFF, SUSPENDED; nova task_states.ALLOW_REBOOT may be interrupted.
    this.check(s, "reboot", ["active", "stopped", "paused", "suspended", "error"], [null, "rebooting", "reboot_pending", "reboot_started", "resuming", "rebooting_hard", "unpausing", "pausing", "suspending"]);
    this.abort(s);
    this.start(s, "reboot", this.split(this.opts.actionSeconds, ["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"]), { vmState: "active", powerState: POWER.RUNNING });
  }

  /**
   * nova api-ref servers-actions.inc rescue: status RESCUE; the rescue image, or the server's own image
   * when none is given; compute/api.py rescue: from active, stopped or error. The server then boots from
   * the rescue image with its own disk attached as the second disk.
   */
  rescue(s: Server, rescueImageRef: string | undefined): void {
    this.check(s, "rescue", RESCUE_STATES);
    let imageId = s.imageId;
    if (rescueImageRef !== undefined) {
      const img = this.images.images.get(rescueImageRef);
      // nova compute/api.py rescue: ImageNotFound → UnsupportedRescueImage (rescue.py: 400).
      if (!img || !(img.visibility === "public" || img.owner === s.projectId) || this.images.status(img) !== "active") throw new NovaBadRequest(`Requested rescue image '${rescueImageRef}' is not supported`);
      imageId = img.id;
    }
    this.start(s, "rescue", [["rescuing", this.opts.actionSeconds]], { vmState: "rescued", powerState: POWER.RUNNING }, { rescueImageId: imageId });
  }

  unrescue(s: Server): void {
    this.check(s, "unrescue", ["rescued"]); // nova api-ref servers-actions.inc unrescue: status RESCUE
    this.start(s, "unrescue", [["unrescuing", this.opts.actionSeconds]], { vmState: "active", powerState: POWER.RUNNING });
  }

  /**
   * nova api-ref servers-actions.inc rebuild: from ACTIVE, SHUTOFF or ERROR; the root disk is recreated
   * from the image; SHUTOFF before → SHUTOFF after, otherwise ACTIVE.
   */
  rebuild(s: Server, req: { imageRef: string; name?: string; metadata?: Record<string, string>; description?: string | null }): void {
    this.check(s, "rebuild", ["active", "stopped", "error"]);
    const img = this.images.images.get(req.imageRef);
    if (!img || !(img.visibility === "public" || img.owner === s.projectId)) throw new NovaBadRequest("Cannot find image for rebuild");
    if (this.images.status(img) !== "active") throw new NovaBadRequest(`Image ${img.id} is not active.`);
    const flavor = this.getFlavor(s.flavorId);
    if (flavor.disk > 0 && (img.minDisk > flavor.disk || img.size > flavor.disk * 2 ** 30)) throw new NovaBadRequest("The created instance's disk would be too small.");
    const wasStopped = s.vmState === "stopped";
    s.imageId = img.id;
    if (req.name !== undefined) {
      s.name = req.name;
      s.hostname = hostnameOf(req.name);
    }
    if (req.metadata !== undefined) s.metadata = req.metadata;
    if (req.description !== undefined) s.description = req.description;
    s.fault = undefined;
    this.start(s, "rebuild", this.split(this.opts.rebuildSeconds, ["rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"]), wasStopped ? { vmState: "stopped", powerState: POWER.SHUTDOWN } : { vmState: "active", powerState: POWER.RUNNING }, { rebuildImageId: img.id });
  }

  /**
   * nova compute/api.py backup: from active, stopped, paused or suspended with no task; creates the Glance
   * image at once (queued, image_type=backup, backup_type, instance_uuid), task_state image_backup, then
   * the compute manager snapshots and uploads it (image_pending_upload, image_uploading: image saving)
   * and rotates the server's backups of that type. The disk is copied before the upload (or at the call,
   * as set by backupCapturesDisk).
   */
  createBackup(s: Server, req: { name: string; backupType: string; rotation: number; metadata: Record<string, string> }): string {
    this.check(s, "createBackup", ["active", "stopped", "paused", "suspended"]);
    const flavor = this.getFlavor(s.flavorId);
    const base = this.images.images.get(s.imageId);
    const now = this.clock.now();
    const snap = (this.opts.actionSeconds / 2) * 1000;
    const savingAt = now + 2 * snap;
    const activeAt = savingAt + Math.max(flavor.disk, 1) * this.opts.backupSecondsPerGiB * 1000;
    const img = this.images.createForUpload({
      name: req.name,
      owner: s.projectId,
      minDisk: flavor.disk,
      minRam: base?.minRam ?? 0,
      properties: { ...req.metadata, instance_uuid: s.id, user_id: s.userId, image_type: "backup", backup_type: req.backupType, base_image_ref: s.imageId, image_location: "snapshot", image_state: "available", owner_id: s.projectId },
      files: s.disk,
      savingAt,
      activeAt,
      baseSize: base?.size ?? 0,
    });
    this.imageSeq.set(img.id, ++this.seq);
    const atCall = this.opts.backupCapturesDisk === "at-call";
    this.start(s, "createBackup", [["image_backup", snap / 1000], ["image_pending_upload", snap / 1000], ["image_uploading", (activeAt - savingAt) / 1000]], undefined, {
      backup: { imageId: img.id, backupType: req.backupType, rotation: req.rotation, captureAt: atCall ? now : savingAt, captured: atCall },
    });
    return img.id;
  }

  // ---- server metadata ----

  /**
   * nova compute/api.py update_instance_metadata / delete_instance_metadata: vm_state active, paused,
   * suspended or stopped with no task (so not while ERROR, RESCUE or a backup runs: 409); the merged
   * (or, with `replace`, the given) items count against the metadata_items quota (MetadataLimitExceeded, 403).
   */
  updateMetadata(s: Server, items: Record<string, string>, o: { replace?: boolean; action?: string } = {}): Record<string, string> {
    this.check(s, o.action ?? "update metadata", ["active", "paused", "suspended", "stopped"]);
    const merged = o.replace ? { ...items } : { ...s.metadata, ...items };
    const limit = this.opts.metadataItems;
    if (limit >= 0 && Object.keys(merged).length > limit) throw new NovaFault(403, `Maximum number of metadata items exceeds ${limit}`);
    s.metadata = merged;
    s.updatedAt = this.clock.now();
    return { ...merged };
  }

  deleteMetadata(s: Server, key: string): void {
    // nova server_metadata.py delete: an absent key is 404 before the state check.
    if (!Object.hasOwn(s.metadata, key)) throw new NovaItemNotFound("Metadata item was not found");
    this.check(s, "delete metadata", ["active", "paused", "suspended", "stopped"]);
    const { [key]: _gone, ...rest } = s.metadata;
    s.metadata = rest;
    s.updatedAt = this.clock.now();
  }

  // ---- admin (drills, tests) ----

  /** The server fails: ERROR with a fault (as a failed compute operation leaves it), or SHUTOFF (the guest stopped). */
  fail(s: Server, req: { state: "ERROR" | "SHUTOFF"; message?: string; code?: number; details?: string }): void {
    this.abort(s);
    const now = this.clock.now();
    s.updatedAt = now;
    if (req.state === "SHUTOFF") {
      s.vmState = "stopped";
      s.powerState = POWER.SHUTDOWN;
      return;
    }
    if (req.code !== undefined && !(Number.isInteger(req.code) && req.code >= 400 && req.code <= 599)) throw new AdminError(400, "InvalidFault", "code is an HTTP status from 400 to 599.");
    s.vmState = "error";
    s.powerState = s.launchedAt === null ? POWER.NOSTATE : POWER.SHUTDOWN;
    s.fault = { code: req.code ?? 500, message: req.message ?? "Emulated failure", details: req.details, created: now };
  }
}

function end(op: Operation): number {
  return op.phases.length ? op.phases[op.phases.length - 1].until : op.startedAt;
}

/** nova: the hostname is the display name sanitized (letters, digits, '-'), at most 63 characters. */
function hostnameOf(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return h || "server";
}
