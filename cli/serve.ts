// `pulumi-recovery serve`: the controller as a long-running service. Each target (a cloud and region)
// runs its cloud's jobs (cli/jobs.ts: spot recovery, snapshot policies, OpenStack server policies) on
// every poll; spot recovery also takes pushed events:
//  - Events pushed by the cloud: Cloud Monitor event-rule webhooks at POST /webhooks/volcengine/<secret>,
//    Alibaba CloudMonitor's at POST /webhooks/alicloud/<secret> (or the secret as a Bearer token), answered
//    at once; the recovery starts in the background. A request without the secret is refused.
//  - The safety net: a poll (Volcengine DescribeSystemEvents, Alibaba's Recycling locks) every `pollInterval` (a lost webhook is found there;
//    push and poll journal one interruption under the cloud's event id, so it is recovered once).
//  - /healthz (the process answers), /readyz (the last pass succeeded recently and the journal works),
//    /metrics (Prometheus).
//  - Logs as JSON lines, or for people; graceful shutdown on SIGTERM/SIGINT: stop taking webhooks, let
//    running steps finish within `drainSeconds`, journal where each recovery stopped, exit 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { ConfigSource } from "../provider/config";
import { cloudClock, stackConfig } from "./context";
import { jobsFor, type Job } from "./jobs";
import { createLogger } from "./log";
import { ServiceMetrics } from "./metrics";
import { loadServeConfig, type ServeConfig, type ServeFlags } from "./serveConfig";
import { defaultOwner, openJournal } from "./store";

/** The Cloud Monitor event types that mean "spot instance interruption scheduled" (API-NOTES). */
const SPOT_EVENT_TYPES = new Set(["ecs:Instance:SpotInstanceInterruption.Delete.Scheduled"]);
/** Alibaba CloudMonitor's preemptible interruption (API notes; the notification body of doc 143663). */
const PREEMPTION_EVENT = "Instance:PreemptibleInstanceInterruption";
const PUSH_CLOUDS = ["volcengine", "alicloud"] as const;
type PushCloud = (typeof PUSH_CLOUDS)[number];

/** `20190409T121826.922+0800` (an ECS event notification's eventTime) → ISO 8601; undefined when it is not that. */
export function notificationTime(text: unknown): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?([+-]\d{2})(\d{2})$/.exec(String(text ?? ""));
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}${m[8]}:${m[9]}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** What a pushed body says: the interrupted instance, its region, and when (undefined fields when it says nothing). */
function pushedEvent(cloud: PushCloud, body: any): { spot: boolean; instanceId?: string; region?: string; at?: string; type?: string } {
  if (cloud === "alicloud") {
    // The notification itself (doc 143663), or an EventBridge event carrying it in `data`.
    const n = body?.content ? body : body?.data?.content ? body.data : body;
    const type = n?.name ?? body?.type;
    const fromArn = typeof n?.resourceId === "string" ? /instance\/(i-[\w-]+)$/.exec(n.resourceId)?.[1] : undefined;
    return { spot: typeof type === "string" && type.endsWith(PREEMPTION_EVENT), type, instanceId: n?.content?.instanceId ?? fromArn, region: n?.regionId ?? body?.regionId, at: notificationTime(n?.eventTime) };
  }
  const type = body?.EventType ?? body?.Details?.type;
  return { spot: SPOT_EVENT_TYPES.has(type), type, instanceId: body?.Details?.data?.InstanceId ?? body?.Details?.subject ?? body?.Details?.volcresourcename, region: body?.Region };
}
const MAX_BODY = 256 * 1024;

interface Target {
  job: Job;
  lastPassOk?: number;
}

export interface RunningService {
  url: string;
  targets: Target[];
  metrics: ServiceMetrics;
  /** Runs one poll pass on every target now (tests, `kill -USR1`). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startService(flags: ServeFlags, opts: { logDestination?: NodeJS.WritableStream } = {}): Promise<RunningService> {
  const cfg = loadServeConfig(flags);
  const log = createLogger(cfg.log.format, cfg.log.level, opts.logDestination);
  const metrics = new ServiceMetrics();
  const config: ConfigSource | undefined = cfg.stack ? await stackConfig(cfg.stack.name, cfg.stack.cwd) : undefined;
  const owner = cfg.owner ?? defaultOwner();
  const abort = new AbortController();
  const clock = await cloudClock();
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };

  const targets: Target[] = [];
  const store = cfg.store && /^postgres(ql)?:\/\//i.test(cfg.store) ? cfg.store : undefined;
  for (const t of cfg.targets) {
    const jobs = jobsFor(t.cloud, {
      config,
      region: t.region,
      endpoint: t.endpoint,
      osCloud: t.osCloud,
      // A path (file journal) or postgres://… (replicas sharing the spot recovery work); PULUMI_RECOVERY_STORE when unset.
      store,
      journal: t.journal ?? (store ? undefined : cfg.store?.replace(/^file:/, "")),
      owner,
      leaseMs: cfg.leaseSeconds * 1000,
      clock,
      signal: abort.signal,
      waitForRetries: false, // a failed step is retried by a later pass, not by holding this one
      onCall: (cloud, c) => metrics.apiCalls.inc({ cloud, service: c.service, action: c.action, outcome: c.ok ? "ok" : c.code ?? "error" }),
      onRetry: (cloud, r) => metrics.apiRetries.inc({ cloud, action: r.label, class: r.cls }),
      onEvent: (job, e) => {
        if (e.recovery) metrics.observe(job.cloud, job.region, e.recovery);
        log[e.level]({ cloud: job.cloud, region: job.region, job: job.name, ...e.data }, e.data.message);
      },
    });
    targets.push(...jobs.map((job) => ({ job })));
  }

  const pass = async (t: Target) => {
    const labels = { cloud: t.job.cloud, region: t.job.region, job: t.job.name };
    try {
      const res = await t.job.pass();
      t.lastPassOk = Date.now();
      metrics.passes.inc({ ...labels, result: "ok" });
      metrics.lastPass.set(labels, Date.now() / 1000);
      log.debug({ ...labels, ...res.summary }, "pass done");
    } catch (e) {
      if (abort.signal.aborted) return;
      metrics.passes.inc({ ...labels, result: "error" });
      log.error({ ...labels, err: (e as Error).message }, `pass failed: ${(e as Error).message}`);
    }
  };
  const running = new Map<Target, Promise<void>>();
  const pollNow = async () => {
    await Promise.all(
      targets.map((t) => {
        // One pass at a time per target: a slow pass is not stacked on.
        const current = running.get(t) ?? track(pass(t).finally(() => running.delete(t)));
        running.set(t, current);
        return current;
      }),
    );
  };
  const timer = setInterval(() => void pollNow(), cfg.pollIntervalMs);
  const label = (t: Target) => `${t.job.cloud}/${t.job.region}/${t.job.name}`;

  const server = createServer((req, res) => void route(req, res).catch((e) => answer(res, 500, { error: "internal", message: (e as Error).message })));
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    if (req.method === "GET" && url.pathname === "/healthz") return answer(res, 200, { ok: true });
    if (req.method === "GET" && url.pathname === "/readyz") {
      const stale = targets.filter((t) => !t.lastPassOk || Date.now() - t.lastPassOk > 3 * cfg.pollIntervalMs);
      return answer(res, stale.length ? 503 : 200, { ready: stale.length === 0, waiting: stale.map(label) });
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      return void res.end(await metrics.registry.metrics());
    }
    const m = /^\/webhooks\/(volcengine|alicloud)(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method === "POST" && m) return webhook(m[1] as PushCloud, m[2], req, res);
    return answer(res, 404, { error: "not found" });
  }

  async function webhook(cloud: PushCloud, pathSecret: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!cfg.secret) {
      metrics.webhooks.inc({ cloud, result: "disabled" });
      return answer(res, 404, { error: "webhooks are off: set webhookSecret (or PULUMI_RECOVERY_WEBHOOK_SECRET)" });
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (!sameSecret(pathSecret ?? bearer ?? "", cfg.secret)) {
      metrics.webhooks.inc({ cloud, result: "unauthorized" });
      log.warn({ cloud, from: req.socket.remoteAddress }, "webhook refused: no or wrong secret");
      return answer(res, 401, { error: "unauthorized" });
    }
    let body: any;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      metrics.webhooks.inc({ cloud, result: "bad-request" });
      return answer(res, 400, { error: "the body must be JSON" });
    }
    const { spot, type, instanceId, region, at } = pushedEvent(cloud, body);
    const target = targets.find((t) => t.job.push && t.job.cloud === cloud && (!region || t.job.region === region));
    if (!spot || typeof instanceId !== "string" || !target) {
      metrics.webhooks.inc({ cloud, result: "ignored" });
      return answer(res, 202, { ignored: true, why: !target ? `${cloud} region ${region} is not protected here` : `not a spot interruption with an instance id (${type})` });
    }
    metrics.webhooks.inc({ cloud, result: "accepted" });
    log.info({ cloud, region: target.job.region, instanceId, eventType: type }, `webhook: spot interruption of ${instanceId}`);
    // Answer now (Cloud Monitor should not wait); the recovery runs in the background.
    answer(res, 202, { accepted: true, instanceId });
    void track(
      target.job.push!(instanceId, at ? { at } : {}).then(
        (outcome) => log.info({ cloud, instanceId, outcome }, `webhook for ${instanceId}: ${outcome}`),
        (e) => !abort.signal.aborted && log.error({ cloud, instanceId, err: (e as Error).message }, `webhook for ${instanceId} failed: ${(e as Error).message}; the next poll retries it`),
      ),
    );
  }

  const [host, port] = splitHostPort(cfg.listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, targets: targets.map(label), pollIntervalMs: cfg.pollIntervalMs, webhooks: Boolean(cfg.secret), journals: targets.map((t) => t.job.where).filter(Boolean), owner }, `serving at ${url}`);
  void pollNow();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // Running steps get `drainSeconds` to finish; then the rest stop, journaled where they are.
      const drained = Promise.allSettled([...inflight]);
      const deadline = new Promise((r) => setTimeout(r, cfg.drainSeconds * 1000).unref());
      await Promise.race([drained, deadline]);
      abort.abort(new Error("the service is shutting down"));
      await Promise.allSettled([...inflight]);
      const open = (await Promise.all(targets.map((t) => t.job.unfinished?.() ?? []))).flat();
      for (const t of targets) await t.job.close();
      log.info({ unfinished: open }, `stopped; ${open.length} recoveries in progress are journaled and continue with the next controller`);
    })());
  return { url, targets, metrics, pollNow, stop };
}

/** The command: runs until SIGTERM/SIGINT. */
export async function serve(flags: ServeFlags): Promise<number> {
  const svc = await startService(flags);
  await new Promise<void>((resolve) => {
    const done = () => void svc.stop().then(resolve);
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
    process.on("SIGUSR1", () => void svc.pollNow());
  });
  return 0;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(":");
  return [listen.slice(0, i).replace(/^\[|\]$/g, ""), Number(listen.slice(i + 1))];
}

export type { Logger, ServeConfig, Server };
