// The emulator's admin API (/_admin/…): tests, drills and the CLI drive the clock, faults, the call log
// and each cloud's state through it. It can reset or rewrite every emulated cloud, and it runs on
// developer machines next to a browser, so it answers the developer's own tools only (`guardAdmin`):
// - loopback peers only, by the socket's remote address (a header could lie);
// - a Host header naming loopback with our port: a web page that rebinds its DNS name to 127.0.0.1
//   still sends its own name as Host (DNS rebinding);
// - no Origin header other than our own: browsers add it to cross-origin requests;
// - writes in application/json only: a page may POST text/plain cross-origin without asking first
//   (no CORS preflight), never application/json;
// - a per-run token, `Authorization: Bearer <token>` or `x-emulator-admin-token`, on every route but
//   `GET health` (which holds no state), against whatever gets past the rest (another local user).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Clock } from "./clock";
import { MAX_ADVANCE_MS, MAX_TIME_SCALE } from "./clock";
import type { Faults } from "./faults";
import type { CallRecord, CloudService, EmulatorRequest, EmulatorResponse } from "./service";
import { BadInput, is } from "./settings";

export interface AdminContext {
  clock: Clock;
  faults: Faults;
  services: CloudService[];
  /** The front's call log (shared array: cleared in place). */
  calls: CallRecord[];
  token: string;
}

const refuse = (status: number, error: string, message: string, headers?: Record<string, string>): EmulatorResponse => ({ status, headers, body: { error, message } });

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a dual-stack socket reports ::ffff:127.0.0.1). */
export function isLoopback(address: string | undefined): boolean {
  return address === "::1" || /^(::ffff:)?127(\.\d{1,3}){3}$/i.test(address ?? "");
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** The token the request carries, compared in constant time (hashes: equal lengths whatever was sent). */
function tokenMatches(req: EmulatorRequest, token: string): boolean {
  const auth = String(req.headers.authorization ?? "");
  const given = /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? String(req.headers["x-emulator-admin-token"] ?? "");
  return given !== "" && timingSafeEqual(sha256(given), sha256(token));
}

/** Why this admin request is refused (403, 401 or 415), or undefined when it may go on. */
export function guardAdmin(req: EmulatorRequest, opts: { port: number; token: string }): EmulatorResponse | undefined {
  if (!isLoopback(req.remoteAddress)) return refuse(403, "AdminForbidden", "The admin API answers loopback clients only.");
  const hosts = ["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${opts.port}`);
  if (!hosts.includes(String(req.headers.host ?? "").toLowerCase())) return refuse(403, "AdminForbidden", `The admin API answers requests for ${hosts.join(", ")} only (Host header).`);
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => `http://${h}` === String(origin).toLowerCase())) return refuse(403, "AdminForbidden", "The admin API refuses requests from other origins (Origin header).");
  const open = req.method === "GET" && adminRoute(req.path) === "health";
  if (!open && !tokenMatches(req, opts.token)) {
    return refuse(401, "AdminTokenRequired", "The admin API needs this run's token: Authorization: Bearer $PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN.", { "www-authenticate": "Bearer" });
  }
  const write = req.method !== "GET" && req.method !== "HEAD";
  const json = /^application\/json\s*(;|$)/i.test(String(req.headers["content-type"] ?? ""));
  if ((write || req.body.length > 0) && !json) return refuse(415, "JsonRequired", "Admin requests that change anything (or carry a body) must be Content-Type: application/json.");
  return undefined;
}

const adminRoute = (path: string) => path.slice("/_admin/".length).replace(/\/+$/, "");

const CLOCK_MOVE = is.shape<{ advanceSeconds?: number; timeScale?: number; frozen?: boolean; stepPerRequestMs?: number }>(
  {
    advanceSeconds: is.number({ max: MAX_ADVANCE_MS / 1000 }),
    timeScale: is.number({ max: MAX_TIME_SCALE }),
    frozen: is.boolean,
    stepPerRequestMs: is.number({ max: MAX_ADVANCE_MS }),
  },
  ["advanceSeconds", "timeScale", "frozen", "stepPerRequestMs"],
);

/** The clock as the admin API shows it. */
const clockView = (clock: Clock) => ({ now: clock.iso(), timeScale: clock.timeScale, frozen: clock.frozen, stepPerRequestMs: clock.stepPerRequestMs });

/** Checks the whole move before any of it applies, so a refused request changes nothing. */
function moveClock(clock: Clock, body: unknown): void {
  const move = CLOCK_MOVE(body, "clock");
  if (move.timeScale !== undefined && !(move.timeScale > 0)) throw new BadInput("clock.timeScale must be > 0.");
  // The advance first: the one part the clock may still refuse (past the year 9999), before anything changed.
  if (move.advanceSeconds !== undefined) {
    try {
      clock.advance(move.advanceSeconds * 1000);
    } catch (e) {
      if (e instanceof RangeError) throw new BadInput(`clock.advanceSeconds: ${e.message}.`);
      throw e;
    }
  }
  if (move.frozen !== undefined) clock.frozen = move.frozen;
  if (move.timeScale !== undefined) clock.timeScale = move.timeScale;
  if (move.stepPerRequestMs !== undefined) clock.stepPerRequestMs = move.stepPerRequestMs;
}

/** Query parameters and a JSON object body, as one object; a string when the body is not a JSON object. */
function parseBody(req: EmulatorRequest): Record<string, unknown> | string {
  const query: Record<string, unknown> = Object.fromEntries(new URLSearchParams(req.rawQuery));
  if (!req.body.length) return query;
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString("utf8"));
  } catch {
    return "The body is not JSON.";
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "The body must be a JSON object.";
  return { ...query, ...json }; // spread defines own properties: a "__proto__" key stays a plain key
}

/** Answers one admin request (already past `guardAdmin`). */
export async function handleAdmin(ctx: AdminContext, req: EmulatorRequest): Promise<EmulatorResponse> {
  const body = parseBody(req);
  if (typeof body === "string") return refuse(400, "BadJson", body);
  try {
    return await route(ctx, req.method, adminRoute(req.path), body);
  } catch (e) {
    if (e instanceof BadInput) return refuse(e.status, e.code, e.message);
    throw e; // the front answers it as a 500 with an error id
  }
}

async function route(ctx: AdminContext, method: string, path: string, body: Record<string, any>): Promise<EmulatorResponse> {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  const { clock, faults, services, calls } = ctx;
  const whole = (name: string) => {
    const v = body[name] === undefined ? undefined : Number(body[name]);
    if (v !== undefined && !Number.isSafeInteger(v)) throw new BadInput(`${name} must be a whole number.`);
    return v;
  };
  switch (`${method} ${path}`) {
    case "GET health":
      return ok({ ok: true, clouds: services.map((s) => s.cloud), ...clockView(clock) });
    case "POST reset":
      // The clock is left as it is: a suite that froze it keeps it frozen across resets.
      for (const s of services) s.reset();
      faults.clear();
      calls.length = 0;
      return ok({ reset: true });
    case "GET clock":
      return ok(clockView(clock));
    case "POST clock":
      moveClock(clock, body);
      return ok(clockView(clock));
    case "GET faults":
      return ok(faults.list());
    case "POST faults":
      return ok(faults.add(body));
    case "DELETE faults":
      faults.clear(whole("seed"));
      return ok({ cleared: true });
    case "GET calls": {
      const since = whole("since") ?? 0;
      return ok(calls.filter((c) => c.seq > since && (!body.action || c.action === body.action) && (!body.cloud || c.cloud === body.cloud)));
    }
    case "DELETE calls":
      calls.length = 0;
      return ok({ cleared: true });
  }
  const [cloud, ...rest] = path.split("/");
  const service = services.find((s) => s.cloud === cloud);
  const answer = service ? await service.admin(rest.join("/"), method, body) : undefined;
  return answer ?? refuse(404, "NoSuchAdminRoute", `${method} /_admin/${path} is not an admin route.`);
}
