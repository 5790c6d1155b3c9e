// The emulator's HTTP front: reads the request, hands /_admin/… to the admin API (admin.ts), otherwise
// finds the cloud service whose signature scheme (or, for OpenStack, path prefix) the request carries, moves a frozen clock by its step,
// applies injected faults, records the call log. Whatever arrives — a body cut short, one too large, a
// query that does not decode, a bug of ours — it answers or drops that one request and keeps serving.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { guardAdmin, handleAdmin } from "./admin";
import type { Clock } from "./clock";
import type { FaultDecision, Faults } from "./faults";
import { internalErrorMessage, isDecodable, MAX_BODY_BYTES, readBody, reportInternalError, writeAnswer } from "./http";
import type { CallRecord, CloudService, EmulatorRequest, EmulatorResponse } from "./service";

export interface FrontOptions {
  clock: Clock;
  services: CloudService[];
  faults: Faults;
  /** Required on every admin route but GET health (admin.ts). */
  adminToken: string;
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
  private port = 0;

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
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Never rejects: a rejection here would be unhandled, and an unhandled rejection ends the process. */
  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const request: EmulatorRequest = {
        method: req.method ?? "GET",
        path: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? "" : url.slice(q + 1),
        headers: req.headers,
        body: Buffer.alloc(0),
        remoteAddress: req.socket.remoteAddress ?? "",
      };
      const isAdmin = request.path.startsWith("/_admin/");
      const read = await readBody(req);
      if (!read.ok) {
        // Aborted: the client is gone, there is no one to answer. Too large: say so, then hang up.
        if (read.reason === "too-large") writeAnswer(res, this.frontError(request, isAdmin, 413, "RequestEntityTooLarge", `The request body is over the emulator's limit of ${MAX_BODY_BYTES} bytes.`), { connection: "close" });
        else req.socket.destroy();
        return;
      }
      request.body = read.body;
      const answer = isAdmin ? await this.admin(request) : await this.cloud(request, res);
      if (answer) writeAnswer(res, answer);
    } catch (e) {
      const id = reportInternalError(e);
      if (res.headersSent) res.destroy();
      else writeAnswer(res, { status: 500, body: { error: "EmulatorError", message: internalErrorMessage(id), errorId: id } });
    }
  }

  /** An error the front itself answers: in the addressed cloud's envelope when one is addressed. */
  private frontError(req: EmulatorRequest, isAdmin: boolean, status: number, code: string, message: string): EmulatorResponse {
    const service = isAdmin ? undefined : this.opts.services.find((s) => s.matches(req));
    return service ? service.renderError(req, { status, code, message }) : { status, body: { error: code, message } };
  }

  private admin(req: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse {
    const { clock, faults, services, adminToken } = this.opts;
    return guardAdmin(req, { port: this.port, token: adminToken }) ?? handleAdmin({ clock, faults, services, calls: this.calls, token: adminToken }, req);
  }

  /** Undefined when the connection was dropped or the response lost on purpose (a fault). */
  private async cloud(req: EmulatorRequest, res: ServerResponse): Promise<EmulatorResponse | undefined> {
    const service = this.opts.services.find((s) => s.matches(req));
    if (!service) return { status: 400, body: { Code: "UnknownSignatureScheme", Message: "No emulated cloud recognises this request's signature scheme." } };
    // Every cloud request moves a frozen clock by its step — dropped and faulted ones too: each is a poll.
    this.opts.clock.tick();
    const info = service.describe(req) ?? { service: "?", action: "?", params: {} };
    const record: CallRecord = { seq: ++this.seq, at: this.opts.clock.iso(), cloud: service.cloud, service: info.service, action: info.action, params: info.params, unknownParams: info.unknownParams ?? [], status: 0 };
    this.calls.push(record);
    // A query that does not decode is refused (in answer) before any fault: faults are for real calls.
    const fault = isDecodable(req.rawQuery) ? this.opts.faults.decide(service.cloud, info.action) : undefined;
    if (fault?.kind === "drop") {
      record.fault = "drop";
      res.socket?.destroy();
      return undefined;
    }
    const answer = await this.answer(service, req, record, fault);
    record.status = answer.status;
    const body = answer.body as any;
    record.code = service.errorCode?.(answer) ?? body?.ResponseMetadata?.Error?.Code ?? (answer.status >= 400 ? body?.Code : undefined);
    if (fault?.kind === "lose-response") {
      // The cloud acted and its answer is in the call log; the client never gets it.
      if (fault.rule.mode !== "timeout") res.socket?.resetAndDestroy();
      return undefined; // "timeout": the connection stays open, silent, until the client gives up
    }
    return answer;
  }

  /** The cloud's answer, or the error a fault puts in its place. */
  private async answer(service: CloudService, req: EmulatorRequest, record: CallRecord, fault: FaultDecision | undefined): Promise<EmulatorResponse> {
    // Guessed code: neither cloud documents one for a query that does not decode (see the README).
    if (!isDecodable(req.rawQuery)) return service.renderError(req, { status: 400, code: "InvalidParameter", message: "The query string is not well-formed URL encoding." });
    switch (fault?.kind) {
      case "latency":
        record.fault = `latency ${fault.rule.latencyMs ?? 1000}ms`;
        await new Promise((r) => setTimeout(r, fault.rule.latencyMs ?? 1000));
        return service.handle(req);
      case "throttle":
      case "5xx": {
        const d = DEFAULT_FAULTS[service.cloud][fault.kind];
        const code = fault.rule.code ?? d.code;
        record.fault = `${fault.kind} ${code}`;
        return service.renderError(req, { code, status: fault.rule.status ?? d.status, message: "Injected fault.", retryAfterSeconds: fault.rule.retryAfterSeconds });
      }
      case "lose-response":
        record.fault = `lose-response ${fault.rule.mode ?? "reset"}`;
        return service.handle(req);
      default:
        return service.handle(req);
    }
  }
}
