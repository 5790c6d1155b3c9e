// Verifies Volcengine's HMAC-SHA256 request signature, written from the API notes: canonical request
// (method, path, canonical query, canonical headers + blank line, signed header names, payload hash),
// string to sign, HMAC key chain secret → date → region → service → "request". The server honours the
// SignedHeaders list it receives (other SDKs sign more headers than the Node one).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { EmulatorRequest } from "../service";

export class SignatureError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** encodeURIComponent plus !'()* escaped: the cloud's uriEscape. */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes the raw query into key → values (repeated keys keep every value). */
export function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!raw) return out;
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, " "));
    const v = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, " "));
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

export function canonicalQuery(query: Map<string, string[]>): string {
  return [...query.keys()]
    .sort()
    .map((k) => {
      const ek = uriEscape(k);
      return query
        .get(k)!
        .map(uriEscape)
        .sort()
        .map((v) => `${ek}=${v}`)
        .join("&");
    })
    .join("&");
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

export interface VerifiedCaller {
  accessKeyId: string;
  region: string;
  service: string;
}

/** The credential scope an Authorization header names (not verified), for routing and the call log. */
export function credentialScope(req: EmulatorRequest): { region: string; service: string } | undefined {
  const m = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/request/.exec(String(req.headers.authorization ?? ""));
  return m ? { region: m[1], service: m[2] } : undefined;
}

const AUTH = /^HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/** Throws SignatureError with the gateway's code when the request is not correctly signed. */
export function verifyVolcengineSignature(req: EmulatorRequest, credentials: Map<string, string>, realNow = Date.now()): VerifiedCaller {
  const auth = String(req.headers.authorization ?? "");
  if (!auth) throw new SignatureError("MissingAuthenticationToken", 401, "The request does not carry an Authorization header.");
  const m = AUTH.exec(auth.trim());
  if (!m) throw new SignatureError("MissingSignature", 401, "The Authorization header is malformed.");
  const [, ak, date, region, service, signedHeaders, signature] = m;
  const xDate = String(req.headers["x-date"] ?? "");
  if (!/^\d{8}T\d{6}Z$/.test(xDate)) throw new SignatureError("InvalidTimestamp", 400, "X-Date is missing or not YYYYMMDDTHHMMSSZ.");
  const at = Date.UTC(+xDate.slice(0, 4), +xDate.slice(4, 6) - 1, +xDate.slice(6, 8), +xDate.slice(9, 11), +xDate.slice(11, 13), +xDate.slice(13, 15));
  if (Math.abs(realNow - at) > 15 * 60_000 || xDate.slice(0, 8) !== date) throw new SignatureError("InvalidTimestamp", 400, "X-Date is more than 15 minutes from the server's time.");
  const secret = credentials.get(ak);
  if (secret === undefined) throw new SignatureError("InvalidAccessKey", 401, `The access key ${ak} does not exist.`);

  const names = signedHeaders.split(";");
  const headers = names.map((n) => {
    const v = req.headers[n];
    if (v === undefined) throw new SignatureError("SignatureDoesNotMatch", 401, `Signed header ${n} is absent from the request.`);
    return `${n}:${String(Array.isArray(v) ? v.join(",") : v).replace(/\s+/g, " ").trim()}`;
  });
  const payloadHash = String(req.headers["x-content-sha256"] ?? sha256(req.body));
  if (req.body.length > 0 && payloadHash !== sha256(req.body)) throw new SignatureError("SignatureDoesNotMatch", 401, "X-Content-Sha256 does not match the body.");
  const canonical = [req.method.toUpperCase(), req.path || "/", canonicalQuery(parseQuery(req.rawQuery)), `${headers.join("\n")}\n`, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/request`;
  const toSign = ["HMAC-SHA256", xDate, scope, sha256(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(secret, date), region), service), "request");
  const expected = createHmac("sha256", key).update(toSign).digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError("SignatureDoesNotMatch", 401, "The request signature we calculated does not match the signature you provided.");
  }
  return { accessKeyId: ak, region, service };
}
