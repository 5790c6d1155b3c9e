// Verifies Alibaba Cloud request signatures, written from the API notes: ACS3-HMAC-SHA256 (the SDKs'
// default: Action in x-acs-action, canonical request over sorted query, the host/content-type/x-acs-*
// headers, and the payload hash) and the legacy RPC v2 scheme (HMAC-SHA1 over the sorted query, key
// `secret&`, base64 `Signature` parameter).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { EmulatorRequest } from "../service";

export class AcsSignatureError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** encodeURIComponent plus !'()* escaped. */
export function acsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Query → decoded key/value pairs (last value wins for a repeated key, as the SDKs never repeat). */
export function parseAcsQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, "%20"));
    out[k] = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, "%20"));
  }
  return out;
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const ACS3 = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/;

export function verifyAcsSignature(req: EmulatorRequest, credentials: Map<string, string>): { accessKeyId: string } {
  const auth = String(req.headers.authorization ?? "");
  const query = parseAcsQuery(req.rawQuery);
  if (auth.startsWith("ACS3-HMAC-SHA256")) {
    const m = ACS3.exec(auth.trim());
    if (!m) throw new AcsSignatureError("IncompleteSignature", 400, "The Authorization header is malformed.");
    const [, ak, signedHeaders, signature] = m;
    const secret = credentials.get(ak);
    if (secret === undefined) throw new AcsSignatureError("InvalidAccessKeyId.NotFound", 404, `Specified access key is not found: ${ak}`);
    const date = Date.parse(String(req.headers["x-acs-date"] ?? ""));
    if (Number.isNaN(date) || Math.abs(Date.now() - date) > 15 * 60_000) throw new AcsSignatureError("InvalidTimeStamp.Expired", 400, "x-acs-date is missing or more than 15 minutes off.");
    const payloadHash = createHash("sha256").update(req.body).digest("hex");
    if (String(req.headers["x-acs-content-sha256"] ?? "") !== payloadHash) throw new AcsSignatureError("SignatureDoesNotMatch", 400, "x-acs-content-sha256 does not match the body.");
    const names = signedHeaders.split(";");
    const headers = names.map((n) => `${n}:${String(req.headers[n] ?? "").trim()}\n`).join("");
    const canonicalQuery = Object.keys(query)
      .sort()
      .map((k) => `${k}=${acsEncode(query[k])}`)
      .join("&");
    const canonical = [req.method, req.path || "/", canonicalQuery, headers, signedHeaders, payloadHash].join("\n");
    const toSign = `ACS3-HMAC-SHA256\n${createHash("sha256").update(canonical).digest("hex")}`;
    const expected = createHmac("sha256", secret).update(toSign).digest();
    if (!equal(expected, Buffer.from(signature, "hex"))) throw new AcsSignatureError("SignatureDoesNotMatch", 400, "Specified signature does not match our calculation.");
    return { accessKeyId: ak };
  }
  if (query.Signature !== undefined) {
    const ak = query.AccessKeyId ?? "";
    const secret = credentials.get(ak);
    if (secret === undefined) throw new AcsSignatureError("InvalidAccessKeyId.NotFound", 404, `Specified access key is not found: ${ak}`);
    const { Signature, ...rest } = query;
    const canonical = Object.keys(rest)
      .sort()
      .map((k) => `${acsEncode(k)}=${acsEncode(rest[k])}`)
      .join("&");
    const toSign = `${req.method}&${acsEncode("/")}&${acsEncode(canonical)}`;
    const expected = createHmac("sha1", `${secret}&`).update(toSign).digest();
    if (!equal(expected, Buffer.from(Signature, "base64"))) throw new AcsSignatureError("SignatureDoesNotMatch", 400, "Specified signature does not match our calculation.");
    return { accessKeyId: ak };
  }
  throw new AcsSignatureError("MissingSignature", 400, "The request is not signed.");
}
