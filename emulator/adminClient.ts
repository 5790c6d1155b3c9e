// A typed client for the emulator's admin API (/_admin/…), for tests, drills and the CLI.
import type { FaultRule } from "./faults";
import type { CallRecord } from "./service";

export class AdminClient {
  readonly volcengine: {
    state(): Promise<{ instances: any[]; images: any[]; events: any[] }>;
    spotInterruption(req: { instanceId: string; noticeSeconds?: number }): Promise<{ eventId: string; releaseAt: string; type: string }>;
    release(req: { instanceId: string }): Promise<unknown>;
    writeFile(req: { instanceId: string; path: string; content: string }): Promise<{ files: Record<string, string> }>;
    files(instanceId: string): Promise<Record<string, string>>;
    imageFiles(imageId: string): Promise<Record<string, string>>;
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

  constructor(readonly url: string) {
    const v = (path: string, method = "GET", body?: unknown) => this.request(`volcengine/${path}`, method, body);
    this.volcengine = {
      state: () => v("state"),
      spotInterruption: (req) => v("spot-interruption", "POST", req),
      release: (req) => v("release", "POST", req),
      writeFile: (req) => v("disk", "POST", req),
      files: async (instanceId) => (await v(`disk?instanceId=${encodeURIComponent(instanceId)}`)).files,
      imageFiles: async (imageId) => (await v(`image-disk?imageId=${encodeURIComponent(imageId)}`)).files,
      settings: (patch) => (patch ? v("settings", "POST", patch) : v("settings")),
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
    const res = await fetch(`${this.url}/_admin/${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
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
  clock(patch?: { timeScale?: number; advanceSeconds?: number }): Promise<{ now: string; timeScale: number }> {
    return patch ? this.request("clock", "POST", patch) : this.request("clock");
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
