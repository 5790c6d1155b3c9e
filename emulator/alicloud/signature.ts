// Alibaba Cloud request signatures, verified as the API gateway does. Written from the API notes and the
// canonicalisation in @alicloud/openapi-core 1.0.8 (utils.getAuthorization, getRPCSignature), never
// importing it:
// - ACS3-HMAC-SHA256, the SDKs' default: Action/Version in x-acs-action/x-acs-version headers;
//   canonical request = METHOD \n path \n sorted `key=enc(value)` query (key not encoded) \n
//   `name:value\n` for each signed header \n signed header names \n x-acs-content-sha256; string to
//   sign = "ACS3-HMAC-SHA256\n" + hex sha256(canonical); signature = hex HMAC-SHA256(secret).
// - RPC v2 (HMAC-SHA1, `signatureAlgorithm: "v2"`): Action, Version, Timestamp, SignatureNonce,
//   AccessKeyId in the query (and any form body); string to sign = METHOD&%2F&enc(sorted
//   `enc(k)=enc(v)` pairs); signature = base64 HMAC-SHA1 with key `secret&`, in the Signature parameter.
// Error codes and messages are the gateway's (PopGw): IncompleteSignature, SignatureDoesNotMatch,
// InvalidAccessKeyId.NotFound (404), InvalidTimeStamp.Expired/.Format, SignatureNonceUsed.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { EmulatorRequest } from "../service";
import { AcsError, missing } from "./errors";
import type { Query } from "./params";

/** encodeURIComponent plus !'()* escaped: the encoding both schemes canonicalise with. */
export function acsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An urlencoded string → decoded pairs (the SDKs never repeat a key; the last one would win). */
export function parseForm(raw: string): Query {
  const out: Query = {};
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    try {
      out[dec(eq < 0 ? part : part.slice(0, eq))] = eq < 0 ? "" : dec(part.slice(eq + 1));
    } catch {
      throw new AcsError("InvalidParameter", 400, "The request's query or body is not well-formed URL encoding.");
    }
  }
  return out;
}

/** Query and form body parameters together (RPC v2 signs both). */
export function requestParams(req: EmulatorRequest): Query {
  const query = parseForm(req.rawQuery);
  const type = String(req.headers["content-type"] ?? "");
  return req.body.length && type.startsWith("application/x-www-form-urlencoded") ? { ...query, ...parseForm(req.body.toString("utf8")) } : query;
}

const SKEW_MS = 15 * 60_000;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Signature nonces seen within the timestamp window: a replayed request is refused. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  use(nonce: string, now = Date.now()): void {
    // Insertion order is expiry order: drop expired entries from the front only.
    for (const [n, exp] of this.seen) {
      if (exp >= now) break;
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) throw new AcsError("SignatureNonceUsed", 400, "Specified signature nonce was used already.");
    this.seen.set(nonce, now + 2 * SKEW_MS);
  }

  clear(): void {
    this.seen.clear();
  }
}

export interface Caller {
  accessKeyId: string;
  scheme: "ACS3-HMAC-SHA256" | "HMAC-SHA1";
}

const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const notFound = () => new AcsError("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.");
const mismatch = (extra = "") => new AcsError("SignatureDoesNotMatch", 400, `Specified signature is not matched with our calculation.${extra}`);
const incomplete = (why: string) => new AcsError("IncompleteSignature", 400, `The request signature does not conform to Aliyun standards. ${why}`);

/** Signing time is the caller's real clock, not the emulated one: checked against Date.now(). */
function checkTimestamp(value: string | undefined, name: string): void {
  if (value === undefined || value === "") throw missing(name);
  if (!TIMESTAMP.test(value)) throw new AcsError("InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted.");
  if (Math.abs(Date.now() - Date.parse(value)) > SKEW_MS) throw new AcsError("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.");
}

function header(req: EmulatorRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(",") : String(v);
}

const ACS3 = /^ACS3-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;

function verifyAcs3(req: EmulatorRequest, credentials: Map<string, string>, nonces: NonceCache): Caller {
  const auth = header(req, "authorization") ?? "";
  if (!auth.startsWith("ACS3-HMAC-SHA256 ")) throw incomplete(`Unsupported signature algorithm in the Authorization header: ${auth.split(" ")[0] || "(none)"}.`);
  const m = ACS3.exec(auth);
  if (!m) throw incomplete("The Authorization header must be `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.");
  const [, accessKeyId, signedList, signature] = m;
  const secret = credentials.get(accessKeyId);
  if (secret === undefined) throw notFound();

  const signed = signedList.split(";");
  const sortedUnique = [...new Set(signed)].sort();
  if (signed.join(";") !== sortedUnique.join(";") || signed.some((h) => h !== h.toLowerCase())) throw incomplete("SignedHeaders must be lower-case, sorted and unique.");
  // Every x-acs-* header (Action, Version, date, nonce, payload hash…) and host must be signed, or a
  // request could be altered in transit without breaking the signature.
  const mustSign = ["host", ...Object.keys(req.headers).filter((h) => h.startsWith("x-acs-"))];
  const unsigned = mustSign.filter((h) => !signed.includes(h));
  if (unsigned.length) throw incomplete(`These headers must be signed: ${unsigned.join(", ")}.`);
  const absent = signed.filter((h) => header(req, h) === undefined);
  if (absent.length) throw incomplete(`Signed headers missing from the request: ${absent.join(", ")}.`);

  checkTimestamp(header(req, "x-acs-date"), "x-acs-date");
  const nonce = header(req, "x-acs-signature-nonce");
  if (!nonce) throw missing("x-acs-signature-nonce");
  const payloadHash = header(req, "x-acs-content-sha256") ?? "";
  if (payloadHash.toLowerCase() !== createHash("sha256").update(req.body).digest("hex")) throw mismatch(" The x-acs-content-sha256 header does not match the request body.");

  const query = parseForm(req.rawQuery);
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${k}=${acsEncode(query[k])}`)
    .join("&");
  const canonicalHeaders = signed.map((h) => `${h}:${(header(req, h) ?? "").trim()}\n`).join("");
  const canonical = [req.method.toUpperCase(), req.path || "/", canonicalQuery, canonicalHeaders, signedList, payloadHash].join("\n");
  const toSign = `ACS3-HMAC-SHA256\n${createHash("sha256").update(canonical).digest("hex")}`;
  const expected = createHmac("sha256", secret).update(toSign).digest();
  // The string to sign carries only a hash: safe to echo, as the gateway does, for debugging.
  if (!equal(expected, Buffer.from(signature, "hex"))) throw mismatch(` server string to sign is:${toSign}`);
  nonces.use(nonce);
  return { accessKeyId, scheme: "ACS3-HMAC-SHA256" };
}

function verifyRpcV2(req: EmulatorRequest, params: Query, credentials: Map<string, string>, nonces: NonceCache): Caller {
  for (const name of ["AccessKeyId", "SignatureMethod", "SignatureNonce", "Timestamp"]) if (!params[name]) throw missing(name);
  if (params.SignatureMethod !== "HMAC-SHA1") throw new AcsError("InvalidSignatureMethod", 400, "Specified signature method is not valid.");
  if (params.SignatureVersion !== undefined && params.SignatureVersion !== "1.0") throw new AcsError("InvalidSignatureVersion", 400, "Specified signature version is not valid.");
  const secret = credentials.get(params.AccessKeyId);
  if (secret === undefined) throw notFound();
  checkTimestamp(params.Timestamp, "Timestamp");
  const { Signature, ...rest } = params;
  const canonical = Object.keys(rest)
    .sort()
    .map((k) => `${acsEncode(k)}=${acsEncode(rest[k])}`)
    .join("&");
  const toSign = `${req.method.toUpperCase()}&${acsEncode("/")}&${acsEncode(canonical)}`;
  const expected = createHmac("sha1", `${secret}&`).update(toSign).digest();
  // This string to sign contains the AccessKeyId: not echoed.
  if (!equal(expected, Buffer.from(Signature, "base64"))) throw mismatch();
  nonces.use(params.SignatureNonce);
  return { accessKeyId: params.AccessKeyId, scheme: "HMAC-SHA1" };
}

/** Verifies whichever scheme the request carries; throws AcsError with the gateway's code. */
export function verifyAcsSignature(req: EmulatorRequest, params: Query, credentials: Map<string, string>, nonces: NonceCache): Caller {
  if (params.Signature !== undefined && !header(req, "authorization")) return verifyRpcV2(req, params, credentials, nonces);
  if (!header(req, "authorization")) throw incomplete("The request carries neither an Authorization header nor a Signature parameter.");
  return verifyAcs3(req, credentials, nonces);
}
