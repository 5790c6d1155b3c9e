// The one create-token rule, for every resource and the recovery controller.
//
// A create must happen once, whatever fails around it: the retry policy repeating a call, a later
// `pulumi up` after a crash, a response lost after the cloud acted. So every create:
//   1. derives a **token** from the resource's identity (project/stack/name), a salt and its non-secret
//      inputs — the same create always derives the same token;
//   2. **looks first** for what carries that token (a tag, or for Cloud Assistant an invocation tag) and
//      adopts it when it is there;
//   3. otherwise creates, tagging the new resource with the token and sending a ClientToken made of the
//      token plus a nonce of this attempt (so the cloud's own idempotency covers the retries of *this*
//      call, yet a released instance's old ClientToken can never be answered again: a destroy followed
//      by an up always creates, however often);
//   4. when the create call fails in a way that may hide a success (a lost response), looks again
//      before it retries or gives up.
// The salt is empty for a first create and derived from the previous generation's salt for a
// replacement (`nextSalt`), so `up --replace` with unchanged inputs makes a new resource, and a
// replacement retried after a crash finds the one the crashed run made.
import { createHash, randomBytes } from "node:crypto";
import { canonical } from "./json";
import { isTransient } from "./errors";
import type { RetryStrategy } from "./retry";

/** The tag that carries a create token, on every resource kind and both clouds. */
export const TOKEN_TAG = "pulumi-recovery:token";

/** Keys that never enter a token: bookkeeping and inputs that do not shape what is created. */
const NEVER = new Set(["timeouts", "__provider", "__identity", "__tokenSalt"]);

/**
 * The token of a create: 32 characters, stable for the same kind, identity, salt and inputs.
 * `secretKeys` are left out (a secret must not be derivable, and changing one replaces nothing here).
 */
export function createToken(kind: string, identity: string | undefined, salt: string | undefined, inputs: Record<string, unknown>, secretKeys: string[] = []): string {
  const rest = Object.fromEntries(Object.entries(inputs).filter(([k, v]) => v !== undefined && !NEVER.has(k) && !secretKeys.includes(k)));
  const h = createHash("sha256").update(`${kind}\0${identity ?? ""}\0${salt ?? ""}\0`).update(JSON.stringify(canonical(rest))).digest("hex");
  return `pr${h.slice(0, 30)}`;
}

/** A ClientToken for one attempt of a create: the token and a nonce (≤ 64 ASCII, as both clouds require). */
export function attemptToken(token: string): string {
  return `${token}-${randomBytes(6).toString("hex")}`;
}

/**
 * The salt `check` gives a create: none for a first create (olds empty), and for a replacement one
 * derived from the resource it replaces — deterministic, so a crash-retried replacement derives it again.
 */
export function nextSalt(olds: Record<string, unknown>): string | undefined {
  if (Object.keys(olds).length === 0) return undefined;
  const prev = typeof olds.__tokenSalt === "string" ? olds.__tokenSalt : "";
  const { __provider, ...rest } = olds;
  return createHash("sha256").update(`next\0${prev}\0`).update(JSON.stringify(canonical(rest))).digest("hex").slice(0, 16);
}

/** Something made under a create token, as its finder sees it. */
export interface Made {
  id: string;
  createdAt?: string;
}

export interface FindOrCreate {
  /** What is being made, for messages: "instance web". */
  what: string;
  /** The create's token (createToken). */
  token: string;
  /** Everything a previous attempt of this create made (by its token): normally none or one. */
  find: () => Promise<Made[]>;
  /**
   * Makes it, tagged with the token; returns its id. `clientToken` is the same for every attempt of this
   * call, so a cloud that dedupes by ClientToken answers a repeat with the first result. The cloud call
   * must not retry by itself (`safe: false`): the retries happen here, each after a look.
   */
  create: (clientToken: string) => Promise<string>;
  /**
   * Deletes a duplicate: two processes that raced (two controller replicas without a shared journal)
   * can both create under one token; both then keep the oldest and delete the rest.
   */
  discard?: (id: string) => Promise<void>;
  /** The connection's retry strategy: operation-level retries spend from the same budget. */
  retry: RetryStrategy;
}

/** The one to keep of several made under one token: the oldest, then the smallest id (all racers agree). */
function canonicalOf(made: Made[]): Made {
  return [...made].sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.id.localeCompare(b.id))[0];
}

/**
 * Steps 2-4 of the rule. Retries only the create, and only after looking again (its finds are reads
 * the client already retried): one level of retry, never a retry around calls that retry.
 */
export async function findOrCreate(o: FindOrCreate): Promise<{ value: string; adopted: boolean; discarded: string[] }> {
  const existing = await o.find();
  if (existing.length) return { value: (await settle(o, existing)).id, adopted: true, discarded: [] };
  const clientToken = attemptToken(o.token);
  let adopted = false;
  const value = await o.retry
    .run(
      async (attempt) => {
        if (attempt > 1) {
          const found = await o.find();
          if (found.length) {
            adopted = true;
            return canonicalOf(found).id;
          }
        }
        return o.create(clientToken);
      },
      { label: `create ${o.what}`, safe: true },
    )
    .catch(async (err) => {
      // The last attempt may have acted with its answer lost: one more look before giving up.
      if (!isTransient(err)) throw err;
      const found = await o.find().catch(() => []);
      if (!found.length) throw new MayExistError(o.what, err);
      adopted = true;
      return canonicalOf(found).id;
    });
  if (!o.discard) return { value, adopted, discarded: [] };
  // A racer may have created too: converge on one.
  const all = await o.find();
  if (all.length <= 1) return { value, adopted, discarded: [] };
  const keep = await settle(o, all);
  return { value: keep.id, adopted: adopted || keep.id !== value, discarded: all.filter((m) => m.id !== keep.id).map((m) => m.id) };
}

async function settle(o: FindOrCreate, made: Made[]): Promise<Made> {
  const keep = canonicalOf(made);
  if (o.discard) for (const m of made) if (m.id !== keep.id) await o.discard(m.id);
  return keep;
}

/** A create failed in a way that may hide a success (the response was lost), and no trace was found. */
export class MayExistError extends Error {
  constructor(
    readonly what: string,
    readonly cause: unknown,
  ) {
    super(`${(cause as Error)?.message ?? String(cause)}; the ${what} may exist in the cloud although no answer came back (none was found by its create token): run \`pulumi up\` again, which finds and adopts it if it exists`);
    this.name = "MayExistError";
  }
}
