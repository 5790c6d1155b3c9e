// HTTP plumbing of the emulator's front: reading a request body within a limit, writing an answer,
// and reporting an internal error without leaking it. Anyone on the machine can send the emulator
// anything, so nothing here may throw past the front or put a stack trace or a file path in a body.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorResponse } from "./service";

/**
 * Largest request body taken (413 beyond). The SDKs' biggest request is an Alibaba RunCommand at its
 * 24 KB content limit, base64-encoded in a form body; a megabyte leaves room and bounds memory.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: "too-large" | "aborted" };

/**
 * The whole body, or why not: "too-large" (the caller answers 413; the rest is read and discarded so
 * the answer can still be written) or "aborted" (the client went away or the stream failed: nobody to
 * answer). Never rejects.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyRead> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: BodyRead) => {
      if (!settled) resolve(r);
      settled = true;
    };
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) {
      req.resume(); // drain without keeping
      return settle({ ok: false, reason: "too-large" });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > limit) return settle({ ok: false, reason: "too-large" });
      chunks.push(c);
    });
    req.on("end", () => settle({ ok: true, body: Buffer.concat(chunks) }));
    // A client that closes mid-body (Content-Length: 1000, a few bytes, then gone) ends here, not in an
    // unhandled "aborted" rejection that used to take the process down.
    req.on("error", () => settle({ ok: false, reason: "aborted" }));
    req.on("close", () => settle(req.complete ? { ok: true, body: Buffer.concat(chunks) } : { ok: false, reason: "aborted" }));
  });
}

/** Writes a JSON answer; a no-op when the client is already gone. */
export function writeAnswer(res: ServerResponse, answer: EmulatorResponse, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed || res.socket?.destroyed) return;
  if (answer.text !== undefined) {
    res.writeHead(answer.status, { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(answer.text)), ...(answer.headers ?? {}), ...extraHeaders });
    res.end(answer.text);
    return;
  }
  // No body: 204 No Content (OpenStack deletes, revocations), or an answer without one (Nova's 202 actions).
  if (answer.status === 204 || answer.status === 304 || answer.body === undefined) {
    res.writeHead(answer.status, { ...(answer.status === 204 || answer.status === 304 ? {} : { "content-length": "0" }), ...(answer.headers ?? {}), ...extraHeaders });
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)), ...(answer.headers ?? {}), ...extraHeaders });
  res.end(text);
}

/**
 * Logs an unexpected error with its stack to stderr under a fresh id, and returns the id: the answer
 * carries only the id, so a body never shows a stack trace or the paths of the emulator's files.
 */
export function reportInternalError(err: unknown): string {
  const id = randomUUID().slice(0, 8);
  process.stderr.write(`pulumi-recovery emulator: internal error ${id}: ${(err as Error)?.stack ?? String(err)}\n`);
  return id;
}

/** The message an internal error is answered with, in any envelope. */
export const internalErrorMessage = (id: string) => `The emulator failed to handle this request (error id ${id}; details are on its stderr).`;

/** Whether a raw query string is valid percent-encoding throughout (decodeURIComponent would not throw). */
export function isDecodable(rawQuery: string): boolean {
  try {
    decodeURIComponent(rawQuery.replace(/\+/g, " "));
    return true;
  } catch {
    return false;
  }
}
