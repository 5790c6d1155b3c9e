// The journal in PostgreSQL, for controller replicas that share the work (node-postgres).
//
// One row per recovery holds its record and its claim: the replica that carries it (`owner`), until when
// (`lease_until`, on the database's clock, so the replicas' own clocks never matter), and the claim's
// `generation`, a fencing token bumped by every new claim. A replica claims a recovery when nobody holds
// a live lease on it, renews only the claim it holds (same owner *and* generation), and writes progress
// only while the row still carries its generation. So a replica that was paused (or cut off) past its
// lease, and whose recovery another replica took over meanwhile, can neither renew nor write: its next
// write is refused with ClaimLostError instead of overwriting the newer owner's progress. A dead
// replica's claims are taken over once their leases lapse. Every step on the cloud side is idempotent
// (create tokens), so the step that was in flight when a replica died is repeated without a duplicate.
//
// Each write is one statement, hence one transaction: the fence (owner, generation) is checked under the
// row lock, and a concurrent claim either committed first (the write is refused) or waits for it. (In
// READ COMMITTED an UPDATE that waited for a concurrent one re-evaluates its WHERE clause on the newest
// row version: PostgreSQL 15 docs, 13.2.1 "Read Committed Isolation Level".) A new record is an
// INSERT … ON CONFLICT DO NOTHING, so two replicas noticing one interruption make one record (INSERT docs,
// "ON CONFLICT Clause").
//
// The tables are created on first use by versioned migrations under an advisory lock (replicas starting
// together migrate once); a schema newer than this code is refused. The URL's password never appears in
// `where`, errors or logs.
import type { Pool } from "pg";
import { JournalError, validateRecord, type JournalStore, type RecoveryRecord } from "./journal";

const TABLE = "pulumi_recovery_journal";
const SCHEMA_TABLE = "pulumi_recovery_schema";
/** Any constant both replicas agree on: serialises migrations across processes. */
const MIGRATION_LOCK = 0x70726a31; // "prj1"

/** Migrations in order; index + 1 is the schema version each one brings. Never edit a released one. */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE ${TABLE} (
       scope text NOT NULL,
       event_id text NOT NULL,
       state text NOT NULL,
       record jsonb NOT NULL,
       owner text,
       generation bigint NOT NULL DEFAULT 0,
       lease_until timestamptz,
       created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
       updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
       PRIMARY KEY (scope, event_id)
     )`,
    `CREATE INDEX ${TABLE}_unfinished ON ${TABLE} (scope) WHERE state NOT IN ('done', 'failed')`,
  ],
];
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface PostgresJournalOptions {
  /** `postgres://user:password@host:port/database?…` (node-postgres's connection string). */
  url: string;
  /**
   * Whose recoveries these are: one controller's cloud and region (`volcengine/cn-beijing`). Replicas of
   * one controller share a scope; controllers of other regions can share the database.
   */
  scope: string;
  /** Connections at most (default 4: a controller carries a few recoveries at once). */
  maxConnections?: number;
}

/** A write (or renewal) refused: another replica took over the recovery since this one claimed it. */
export class ClaimLostError extends JournalError {
  constructor(where: string, eventId: string, owner: string, generation: number, now: { owner: string | null; generation: number } | undefined) {
    super(
      where,
      now
        ? `refused a write of recovery ${eventId} by ${owner}: its claim (generation ${generation}) was taken over by ${now.owner ?? "another replica"} (generation ${now.generation}) after its lease lapsed`
        : `refused a write of recovery ${eventId} by ${owner}: the recovery is no longer there`,
      "nothing: the newer owner carries the recovery on (this replica was paused or cut off longer than its lease; raise --lease if that is normal here)",
    );
    this.name = "ClaimLostError";
  }
}

/** The claim this store holds on a recovery, between claim() and release(). */
interface Held {
  owner: string;
  generation: number;
  /** Set once a renewal or write found the claim taken over: nothing more is written under it. */
  lost?: { owner: string | null; generation: number };
}

const RECORD_TODO = (where: string) =>
  `if a newer pulumi-recovery wrote it, run that version; otherwise delete its row (DELETE FROM ${TABLE} WHERE event_id = '…' in ${where}) and run again (the controller finds interrupted instances from their recovery points)`;

export class PostgresJournal implements JournalStore {
  readonly where: string;
  private readonly pool: Pool;
  private readonly scope: string;
  private readonly secrets: string[];
  private readonly held = new Map<string, Held>();
  private migrated?: Promise<void>;
  private closed = false;

  constructor(o: PostgresJournalOptions) {
    const url = parseUrl(o.url);
    this.where = `${redactedUrl(url)} (${o.scope})`;
    this.secrets = passwordsOf(url);
    this.scope = o.scope;
    // Loaded here, not at import: the provider package is loaded by every Pulumi program using it.
    const { Pool } = require("pg") as typeof import("pg");
    this.pool = new Pool({
      connectionString: o.url,
      max: o.maxConnections ?? 4,
      application_name: "pulumi-recovery",
      // A server that does not answer is an error naming the journal, not a controller that hangs.
      connectionTimeoutMillis: 15_000,
      query_timeout: 30_000,
    });
    // An idle connection the server closed (a restart, a failover) is reported on the pool; without a
    // listener node-postgres would end the process. The next query opens a new connection, or fails with
    // an error naming the journal.
    this.pool.on("error", () => undefined);
  }

  async get(eventId: string): Promise<RecoveryRecord | undefined> {
    const rows = await this.query<{ event_id: string; record: unknown }>("read a recovery", `SELECT event_id, record FROM ${TABLE} WHERE scope = $1 AND event_id = $2`, [this.scope, eventId]);
    return rows[0] && this.valid(rows[0]);
  }

  async all(): Promise<RecoveryRecord[]> {
    const rows = await this.query<{ event_id: string; record: unknown }>("read the recoveries", `SELECT event_id, record FROM ${TABLE} WHERE scope = $1 ORDER BY created_at, event_id`, [this.scope]);
    return rows.map((r) => this.valid(r));
  }

  /** Everything not done or failed — a state this code does not know is read too, and is an error. */
  async unfinished(): Promise<RecoveryRecord[]> {
    const rows = await this.query<{ event_id: string; record: unknown }>(
      "read the unfinished recoveries",
      `SELECT event_id, record FROM ${TABLE} WHERE scope = $1 AND state NOT IN ('done', 'failed') ORDER BY created_at, event_id`,
      [this.scope],
    );
    return rows.map((r) => this.valid(r));
  }

  async create(record: RecoveryRecord): Promise<boolean> {
    const rows = await this.query(
      "journal a new recovery",
      `INSERT INTO ${TABLE} (scope, event_id, state, record) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (scope, event_id) DO NOTHING RETURNING 1`,
      [this.scope, record.eventId, record.state, JSON.stringify(record)],
    );
    return rows.length === 1;
  }

  /** Writes progress under this replica's claim; refused (ClaimLostError) once another replica took it over. */
  async put(record: RecoveryRecord): Promise<void> {
    const held = this.held.get(record.eventId);
    if (!held) throw new JournalError(this.where, `was asked to write recovery ${record.eventId} by a replica that holds no claim on it`, "this is a bug in the controller: claim a recovery before writing its progress (a new recovery is journaled with create)");
    if (held.lost) throw new ClaimLostError(this.where, record.eventId, held.owner, held.generation, held.lost);
    const rows = await this.query(
      "record a recovery's progress",
      `UPDATE ${TABLE} SET record = $5::jsonb, state = $6, updated_at = clock_timestamp()
        WHERE scope = $1 AND event_id = $2 AND owner = $3 AND generation = $4 RETURNING 1`,
      [this.scope, record.eventId, held.owner, held.generation, JSON.stringify(record), record.state],
    );
    if (rows.length === 1) return;
    held.lost = await this.holder(record.eventId);
    throw new ClaimLostError(this.where, record.eventId, held.owner, held.generation, held.lost);
  }

  /**
   * Claims a recovery for `owner` until `leaseMs` from now (the database's clock). While this store holds
   * the claim (claim() returned true and release() was not called), a call renews it — and only it: once
   * another replica took it over, false, however its lease stands then. Otherwise the claim succeeds when
   * no live lease is held (never claimed, released, or lapsed), with a new generation.
   */
  async claim(eventId: string, owner: string, leaseMs: number): Promise<boolean> {
    if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new RangeError(`leaseMs must be a positive number of milliseconds, got ${leaseMs}`);
    const held = this.held.get(eventId);
    if (held) {
      if (held.owner !== owner) throw new JournalError(this.where, `was asked to claim recovery ${eventId} for ${owner} while ${held.owner} holds it through the same connection`, "give each replica its own PostgresJournal");
      if (held.lost) return false;
      const rows = await this.query(
        "renew a claim",
        `UPDATE ${TABLE} SET lease_until = clock_timestamp() + $5 * interval '1 millisecond'
          WHERE scope = $1 AND event_id = $2 AND owner = $3 AND generation = $4 AND lease_until IS NOT NULL RETURNING 1`,
        [this.scope, eventId, owner, held.generation, Math.ceil(leaseMs)],
      );
      if (rows.length === 1) return true;
      // Taken over, or released meanwhile (a renewal that was in flight while release() ran): either way,
      // this claim is over. Only this claim's entry is marked: a newer claim of this store is another object.
      held.lost = (await this.holder(eventId)) ?? { owner: null, generation: held.generation };
      return false;
    }
    const rows = await this.query<{ generation: string }>(
      "claim a recovery",
      `UPDATE ${TABLE} SET owner = $3, generation = generation + 1, lease_until = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE scope = $1 AND event_id = $2 AND (lease_until IS NULL OR lease_until <= clock_timestamp()) RETURNING generation`,
      [this.scope, eventId, owner, Math.ceil(leaseMs)],
    );
    if (rows.length === 0) return false;
    this.held.set(eventId, { owner, generation: Number(rows[0].generation) });
    return true;
  }

  /** Ends this store's claim (the row keeps its owner and generation, for the record). */
  async release(eventId: string, owner: string): Promise<void> {
    const held = this.held.get(eventId);
    if (!held || held.owner !== owner) return;
    if (!held.lost) {
      await this.query(
        "release a claim",
        `UPDATE ${TABLE} SET lease_until = NULL WHERE scope = $1 AND event_id = $2 AND owner = $3 AND generation = $4`,
        [this.scope, eventId, owner, held.generation],
      );
    }
    // Forgotten only once released: if the release failed, a new claim() is a renewal of this one.
    if (this.held.get(eventId) === held) this.held.delete(eventId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Who holds the recovery now (after a refused write or renewal), for the message. */
  private async holder(eventId: string): Promise<{ owner: string | null; generation: number } | undefined> {
    const rows = await this.query<{ owner: string | null; generation: string }>("read a claim", `SELECT owner, generation FROM ${TABLE} WHERE scope = $1 AND event_id = $2`, [this.scope, eventId]);
    return rows[0] && { owner: rows[0].owner, generation: Number(rows[0].generation) };
  }

  private valid(row: { event_id: string; record: unknown }): RecoveryRecord {
    return validateRecord(this.where, row.event_id, row.record, RECORD_TODO(this.where));
  }

  /** One statement (its own transaction), after the migrations; any failure is a JournalError without the password. */
  private async query<R = unknown>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    if (this.closed) throw new JournalError(this.where, `was asked to ${what} after it was closed`, "this is a bug in the caller: close the journal last");
    await this.migrate();
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  /** Creates or upgrades the tables once per store (and once among replicas starting together). */
  private migrate(): Promise<void> {
    this.migrated ??= this.runMigrations().catch((e) => {
      this.migrated = undefined; // a server that was down at start: try again on the next call
      throw e;
    });
    return this.migrated;
  }

  private async runMigrations(): Promise<void> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.failure("connect", e);
    }
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${SCHEMA_TABLE}`);
      const current = rows[0]?.version ?? 0;
      if (current > SCHEMA_VERSION) {
        await client.query("ROLLBACK");
        throw new JournalError(this.where, `has schema version ${current}; this controller knows versions up to ${SCHEMA_VERSION}`, "run the pulumi-recovery version that upgraded it (or a newer one) on every replica");
      }
      for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
        for (const sql of MIGRATIONS[v - 1]) await client.query(sql);
        await client.query(`INSERT INTO ${SCHEMA_TABLE} (version) VALUES ($1)`, [v]);
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e instanceof JournalError ? e : this.failure("create its tables", e);
    } finally {
      client.release();
    }
  }

  private failure(what: string, e: unknown): JournalError {
    const err = e as { message?: string; code?: string };
    let message = `${err.message ?? String(e)}${err.code && !String(err.message).includes(err.code) ? ` [${err.code}]` : ""}`;
    for (const s of this.secrets) message = message.split(s).join("***");
    return new JournalError(this.where, `could not ${what} (${message})`, "check that the PostgreSQL server is up and reachable from here, and that the URL's user may create tables in its database");
  }
}

function parseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // not a URL at all: said below, without echoing it (it may hold a password)
  }
  if (!url || !/^postgres(ql)?:$/.test(url.protocol)) throw new JournalError("(PostgreSQL store)", "was given a store that is not a postgres:// URL", "pass --store postgres://USER:PASSWORD@HOST:PORT/DATABASE (or set PULUMI_RECOVERY_STORE)");
  return url;
}

/** The URL for messages: user, host, port and database; never the password or the query (it may hold one). */
export function redactedUrl(url: URL): string {
  return `${url.protocol}//${url.username ? `${url.username}@` : ""}${url.host}${url.pathname}`;
}

/** Every spelling of the password a message might carry (as given, and decoded). */
function passwordsOf(url: URL): string[] {
  const raw = [url.password, url.searchParams.get("password") ?? ""].filter(Boolean);
  const decoded = raw.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return [...new Set([...raw, ...decoded])].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}
