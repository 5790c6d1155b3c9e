// ClientToken idempotency, as both clouds document it: the same token with the same parameters gets the
// first answer again (and does nothing); the same token with other parameters is an error. A run that
// throws records nothing, so a failed call can be retried with its token.
import { createHash } from "node:crypto";

export type TokenError = (kind: "malformed" | "mismatch") => Error;

export class ClientTokens {
  private readonly seen = new Map<string, { hash: string; result: unknown }>();

  constructor(private readonly error: TokenError) {}

  run<T>(action: string, token: string | undefined, params: Record<string, string>, run: () => T): T {
    if (token === undefined || token === "") return run();
    if (token.length > 64 || !/^[\x20-\x7e]*$/.test(token)) throw this.error("malformed");
    // Signing parameters change on every request; they are not part of "the same parameters".
    const { ClientToken, Signature, SignatureNonce, Timestamp, ...rest } = params;
    const hash = createHash("sha256").update(JSON.stringify(Object.entries(rest).sort())).digest("hex");
    const key = `${action}\0${token}`;
    const seen = this.seen.get(key);
    if (seen) {
      if (seen.hash !== hash) throw this.error("mismatch");
      return seen.result as T;
    }
    const result = run();
    this.seen.set(key, { hash, result });
    return result;
  }

  clear(): void {
    this.seen.clear();
  }
}
