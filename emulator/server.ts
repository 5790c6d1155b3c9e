// The emulator's HTTP front: reads the request, answers /_admin/… itself, otherwise finds the cloud
// service whose signature scheme (or, for OpenStack, path prefix) the request carries, applies injected faults, records the call log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "./clock";
import { Faults, type FaultRule } from "./faults";
import type { CallRecord, CloudService, EmulatorRequest, EmulatorResponse } from "./service";

export interface FrontOptions {
  clock: Clock;
  services: CloudService[];
  faults: Faults;
}

const DEFAULT_FAULTS: Record<string, Record<"throttle" | "5xx", { code: string; status: number }>> = {
  volcengine: { throttle: { code: "FlowLimitExceeded", status: 429 }, "5xx": { code: "InternalServiceError", status: 500 } },
  alicloud: { throttle: { code: "Throttling", status: 400 }, "5xx": { code: "ServiceUnavailable", status: 503 } },
  // nova api/openstack/wsgi.py Fault names: 429 overLimit, 503 serviceUnavailable.
  openstack: { throttle: { code: "overLimit", status: 429 }, "5xx": { code: "serviceUnavailable", status: 503 } },
};

export class EmulatorFront {
  readonly calls: CallRecord[] = [];
  private seq = 0;
  private server?: Server;

  constructor(private readonly opts: FrontOptions) {}

  async listen(port: number, host: string): Promise<number> {
    // Alibaba RPC calls carry every parameter in the URL: a RunCommand at its 24 KB content limit needs
    // more than Node's default 16 KB request head, or it is refused (431) before it reaches the cloud.
    this.server = createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => void this.serve(req, res));
    // Idle keep-alive sockets outlive every client's polling interval (openstackclient's --wait polls every
    // 5 s): a server closing a pooled socket just as a client reuses it makes Python's requests fail with
    // RemoteDisconnected. close() ends them all at once (closeAllConnections), so they never hold it open.
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const request: EmulatorRequest = {
      method: req.method ?? "GET",
      path: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? "" : url.slice(q + 1),
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    try {
      const answer = request.path.startsWith("/_admin/") ? await this.admin(request) : await this.cloud(request, res);
      if (answer) write(res, answer);
    } catch (e) {
      write(res, { status: 500, body: { error: "EmulatorError", message: String((e as Error).stack ?? e) } });
    }
  }

  /** Undefined when the connection was dropped on purpose (a fault). */
  private async cloud(req: EmulatorRequest, res: ServerResponse): Promise<EmulatorResponse | undefined> {
    const service = this.opts.services.find((s) => s.matches(req));
    if (!service) return { status: 400, body: { Code: "UnknownSignatureScheme", Message: "No emulated cloud recognises this request's signature scheme." } };
    const info = service.describe(req) ?? { service: "?", action: "?", params: {} };
    const record: CallRecord = { seq: ++this.seq, at: this.opts.clock.iso(), cloud: service.cloud, service: info.service, action: info.action, params: info.params, status: 0 };
    this.calls.push(record);
    const fault = this.opts.faults.decide(service.cloud, info.action);
    let answer: EmulatorResponse;
    if (fault?.kind === "drop") {
      record.fault = "drop";
      res.socket?.destroy();
      return undefined;
    }
    if (fault?.kind === "latency") {
      record.fault = `latency ${fault.rule.latencyMs ?? 1000}ms`;
      await new Promise((r) => setTimeout(r, fault.rule.latencyMs ?? 1000));
    }
    if (fault && (fault.kind === "throttle" || fault.kind === "5xx")) {
      const d = DEFAULT_FAULTS[service.cloud][fault.kind];
      const code = fault.rule.code ?? d.code;
      record.fault = `${fault.kind} ${code}`;
      answer = service.renderFault(req, { code, status: fault.rule.status ?? d.status, retryAfterSeconds: fault.rule.retryAfterSeconds });
    } else {
      answer = await service.handle(req);
    }
    record.status = answer.status;
    const body = answer.body as any;
    record.code = service.errorCode?.(answer) ?? body?.ResponseMetadata?.Error?.Code ?? (answer.status >= 400 ? body?.Code : undefined);
    return answer;
  }

  private async admin(req: EmulatorRequest): Promise<EmulatorResponse> {
    const route = req.path.slice("/_admin/".length).replace(/\/+$/, "");
    const query = Object.fromEntries(new URLSearchParams(req.rawQuery));
    let body: any = query;
    if (req.body.length) {
      try {
        body = { ...query, ...JSON.parse(req.body.toString("utf8")) };
      } catch {
        return { status: 400, body: { error: "BadJson", message: "admin requests take a JSON body" } };
      }
    }
    const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
    const { clock, faults, services } = this.opts;
    switch (`${req.method} ${route}`) {
      case "GET health":
        return ok({ ok: true, clouds: services.map((s) => s.cloud), timeScale: clock.timeScale, now: clock.iso() });
      case "POST reset":
        for (const s of services) s.reset();
        faults.clear();
        this.calls.length = 0;
        return ok({ reset: true });
      case "GET clock":
        return ok({ now: clock.iso(), timeScale: clock.timeScale });
      case "POST clock":
        if (body.timeScale !== undefined) clock.timeScale = Number(body.timeScale);
        if (body.advanceSeconds !== undefined) clock.advance(Number(body.advanceSeconds) * 1000);
        return ok({ now: clock.iso(), timeScale: clock.timeScale });
      case "GET faults":
        return ok(faults.list());
      case "POST faults":
        try {
          return ok(faults.add(body as FaultRule));
        } catch (e) {
          return { status: 400, body: { error: "BadFault", message: (e as Error).message } };
        }
      case "DELETE faults":
        faults.clear(body.seed !== undefined ? Number(body.seed) : undefined);
        return ok({ cleared: true });
      case "GET calls": {
        const since = Number(body.since ?? 0);
        return ok(this.calls.filter((c) => c.seq > since && (!body.action || c.action === body.action) && (!body.cloud || c.cloud === body.cloud)));
      }
      case "DELETE calls":
        this.calls.length = 0;
        return ok({ cleared: true });
    }
    const [cloud, ...rest] = route.split("/");
    const service = services.find((s) => s.cloud === cloud);
    const answer = service ? await service.admin(rest.join("/"), req.method, body) : undefined;
    return answer ?? { status: 404, body: { error: "NoSuchAdminRoute", message: `${req.method} /_admin/${route} is not an admin route` } };
  }
}

function write(res: ServerResponse, answer: EmulatorResponse): void {
  // No body: 204 No Content (OpenStack deletes, revocations), or an answer without one (Nova's 202 actions).
  if (answer.status === 204 || answer.status === 304 || answer.body === undefined) {
    res.writeHead(answer.status, { ...(answer.status === 204 || answer.status === 304 ? {} : { "content-length": "0" }), ...(answer.headers ?? {}) });
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...(answer.headers ?? {}) });
  res.end(text);
}
