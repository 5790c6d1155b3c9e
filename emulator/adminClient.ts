// A typed client for the emulator's admin API (/_admin/…), for tests, drills and the CLI. Sends the
// run's admin token on every request, and every body as application/json (admin.ts refuses anything else).
import type { FaultRule } from "./faults";
import type { CallRecord } from "./service";

/** Where `pulumi-recovery emulator` puts the admin token for other processes (see envFor). */
export const ADMIN_TOKEN_ENV = "PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN";

export interface ClockState {
  now: string;
  timeScale: number;
  frozen: boolean;
  stepPerRequestMs: number;
}

export class AdminClient {
  readonly volcengine: {
    /** A region's state (default: the home region; others are `otherRegions` in the settings). */
    state(region?: string): Promise<{ instances: any[]; images: any[]; events: any[]; snapshotGroups: any[]; snapshots: any[]; volumes: any[]; autoSnapshotPolicies: any[] }>;
    spotInterruption(req: { instanceId: string; noticeSeconds?: number }): Promise<{ eventId: string; releaseAt: string; type: string }>;
    release(req: { instanceId: string }): Promise<unknown>;
    /** `volume`: 0 the system volume (default), 1.. the data volumes in attach order. */
    writeFile(req: { instanceId: string; path: string; content: string; volume?: number; buffered?: boolean }): Promise<{ files: Record<string, string> }>;
    /** Registers a Cloud Monitor event rule: spot interruptions are POSTed to `url` (after `delayMs`, lost at `lossRate`). */
    eventRule(req: { url: string; delayMs?: number; lossRate?: number }): Promise<{ ruleId: string }>;
    eventRules(): Promise<{ rules: unknown[]; deliveries: { ruleId: string; eventId: string; outcome: string; status?: number }[] }>;
    /** How the guest answers Cloud Assistant: exit code, a hang, or no agent at all. */
    guest(req: { instanceId: string; exitCode?: number; hang?: boolean; agentInstalled?: boolean }): Promise<unknown>;
    files(instanceId: string, volume?: number): Promise<Record<string, string>>;
    changeRate(req: { instanceId: string; changeGiBPerHour: number }): Promise<unknown>;
    imageFiles(imageId: string, region?: string): Promise<Record<string, string>>;
    /** A region's settings (default: the home region), changed first by `patch` when given. */
    settings(patch?: Record<string, unknown>, region?: string): Promise<Record<string, unknown>>;
  };
  /** Alibaba Cloud's spot recovery side (alicloud/spotAdmin.ts); other routes through `request("alicloud/…")`. */
  readonly alicloud: {
    state(): Promise<{ instances: any[]; images: any[]; imageSnapshots: any[]; looseDisks: any[]; snapshotGroups: any[]; invocations: any[] }>;
    /** A preemptible instance gets its notice: locked (Recycling), released after `noticeSeconds` (default 300), CloudMonitor posts the event. */
    preemption(req: { instanceId: string; noticeSeconds?: number }): Promise<{ instanceId: string; lockedAt: string; releaseAt: string }>;
    release(req: { instanceId: string }): Promise<unknown>;
    /** `disk`: 0 the system disk (default), 1.. the data disks in attach order. */
    writeFile(req: { instanceId: string; path: string; content: string; disk?: number }): Promise<{ data: Record<string, string> }>;
    files(instanceId: string, disk?: number): Promise<Record<string, string>>;
    imageFiles(imageId: string, disk?: number): Promise<Record<string, string>>;
    changeRate(req: { instanceId: string; changeGiBPerHour: number }): Promise<unknown>;
    /** Registers a CloudMonitor webhook: interruptions are POSTed to `url` (after `delayMs`, lost at `lossRate`). */
    cloudMonitor(req: { url: string; delayMs?: number; lossRate?: number }): Promise<{ ruleId: string }>;
    cloudMonitorDeliveries(): Promise<{ rules: unknown[]; deliveries: { ruleId: string; instanceId: string; outcome: string; status?: number }[] }>;
    securityGroup(req: { securityGroupId: string }): Promise<unknown>;
    settings(patch?: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  readonly openstack: {
    state(): Promise<{ settings: Record<string, unknown>; servers: any[]; images: any[]; networks: any[] }>;
    /** A server's disk as the guest sees it (while rescued, disk 1 is the server's own). */
    disk(serverId: string, disk?: number): Promise<{ serverId: string; disk: number; disks: number; files: Record<string, string> }>;
    /** Writes (or, without content, removes) a file on a server's disk. */
    writeFile(req: { serverId: string; path: string; content?: string; disk?: number }): Promise<{ files: Record<string, string> }>;
    imageFiles(imageId: string): Promise<Record<string, string>>;
    fail(req: { serverId: string; state: "ERROR" | "SHUTOFF"; message?: string; code?: number; details?: string }): Promise<unknown>;
    settings(patch?: Record<string, unknown>): Promise<Record<string, unknown>>;
  };

  /** `token` defaults to $PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN, for an emulator another process started. */
  constructor(
    readonly url: string,
    private readonly token = process.env[ADMIN_TOKEN_ENV] ?? "",
  ) {
    const v = (path: string, method = "GET", body?: unknown) => this.request(`volcengine/${path}`, method, body);
    this.volcengine = {
      state: (region) => v(region ? `state?region=${encodeURIComponent(region)}` : "state"),
      spotInterruption: (req) => v("spot-interruption", "POST", req),
      release: (req) => v("release", "POST", req),
      writeFile: (req) => v("disk", "POST", req),
      files: async (instanceId, volume = 0) => (await v(`disk?instanceId=${encodeURIComponent(instanceId)}&volume=${volume}`)).files,
      changeRate: (req) => v("change-rate", "POST", req),
      guest: (req) => v("guest", "POST", req),
      eventRule: (req) => v("event-rules", "POST", req),
      eventRules: () => v("event-rules"),
      imageFiles: async (imageId, region) => (await v(`image-disk?imageId=${encodeURIComponent(imageId)}${region ? `&region=${encodeURIComponent(region)}` : ""}`)).files,
      settings: (patch, region) => (patch ? v("settings", "POST", region ? { ...patch, region } : patch) : v(region ? `settings?region=${encodeURIComponent(region)}` : "settings")),
    };
    const a = (path: string, method = "GET", body?: unknown) => this.request(`alicloud/${path}`, method, body);
    this.alicloud = {
      state: () => a("state"),
      preemption: (req) => a("preemption", "POST", req),
      release: (req) => a("release", "POST", req),
      writeFile: (req) => a("disk", "POST", req),
      files: async (instanceId, disk = 0) => (await a(`disk?instanceId=${encodeURIComponent(instanceId)}&disk=${disk}`)).data,
      imageFiles: async (imageId, disk = 0) => (await a(`image-disk?imageId=${encodeURIComponent(imageId)}&disk=${disk}`)).data,
      changeRate: (req) => a("change-rate", "POST", req),
      cloudMonitor: (req) => a("cloud-monitor", "POST", req),
      cloudMonitorDeliveries: () => a("cloud-monitor"),
      securityGroup: (req) => a("security-groups", "POST", req),
      settings: (patch) => (patch ? a("settings", "POST", patch) : a("settings")),
    };
    const o = (path: string, method = "GET", body?: unknown) => this.request(`openstack/${path}`, method, body);
    this.openstack = {
      state: () => o("state"),
      disk: (serverId, disk = 0) => o(`disk?serverId=${encodeURIComponent(serverId)}&disk=${disk}`),
      writeFile: (req) => o("disk", "POST", req),
      imageFiles: async (imageId) => (await o(`image-disk?imageId=${encodeURIComponent(imageId)}`)).files,
      fail: (req) => o("fail", "POST", req),
      settings: (patch) => (patch ? o("settings", "POST", patch) : o("settings")),
    };
  }

  /** Any admin route, for services without typed helpers here (e.g. alicloud/...). */
  async request(path: string, method = "GET", body?: unknown): Promise<any> {
    const write = method !== "GET" && method !== "HEAD";
    const res = await fetch(`${this.url}/_admin/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(write ? { "content-type": "application/json" } : {}) },
      body: write ? JSON.stringify(body ?? {}) : undefined,
    });
    const json: any = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`emulator admin ${method} ${path}: ${res.status} ${json.error ?? ""} ${json.message ?? ""}`.trim());
    return json;
  }

  health() {
    return this.request("health");
  }
  reset() {
    return this.request("reset", "POST");
  }
  /** The clock; with a patch, changes it first (the whole patch is checked before any of it applies). */
  clock(patch?: { timeScale?: number; advanceSeconds?: number; frozen?: boolean; stepPerRequestMs?: number }): Promise<ClockState> {
    return patch ? this.request("clock", "POST", patch) : this.request("clock");
  }
  /** Moves emulated time forward (0 to 10 years). */
  advanceClock(seconds: number): Promise<ClockState> {
    return this.clock({ advanceSeconds: seconds });
  }
  /** Stops emulated time: from now on it moves only by advanceClock and by `stepPerRequestMs` per cloud API request. */
  freezeClock(opts: { stepPerRequestMs?: number } = {}): Promise<ClockState> {
    return this.clock({ frozen: true, stepPerRequestMs: opts.stepPerRequestMs ?? 0 });
  }
  /** Back to the scaled clock, continuing from the current emulated time. */
  unfreezeClock(): Promise<ClockState> {
    return this.clock({ frozen: false });
  }
  addFault(rule: FaultRule): Promise<FaultRule> {
    return this.request("faults", "POST", rule);
  }
  clearFaults() {
    return this.request("faults", "DELETE");
  }
  calls(filter: { since?: number; action?: string; cloud?: string } = {}): Promise<CallRecord[]> {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)] as [string, string]));
    return this.request(`calls${q.size ? `?${q}` : ""}`);
  }
  clearCalls() {
    return this.request("calls", "DELETE");
  }
}
