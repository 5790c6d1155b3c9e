// The PostgreSQL journal's semantics against the real server: leases (claim, renew, takeover once a lease
// lapsed), fencing (a replica that lost its claim cannot write over the new owner's progress), one record
// for two replicas noticing one interruption, the schema, and no password anywhere. A lease lapses here
// because the test moves its expiry into the past — never by sleeping against the wall clock.
import { afterEach, describe, expect, it } from "vitest";
import { JournalError, type RecoveryRecord } from "../../provider/recovery/journal";
import { ClaimLostError, PostgresJournal, SCHEMA_VERSION } from "../../provider/recovery/journalPg";
import { usePostgres, withDatabase } from "../support/postgres";

const pg = usePostgres("journal");
const open: PostgresJournal[] = [];
let scopeSeq = 0;
let scope = "";

/** A store as one replica holds it (its own pool), in this test's scope. */
function store(url = pg.url, s = scope): PostgresJournal {
  const j = new PostgresJournal({ url, scope: s });
  open.push(j);
  return j;
}

function record(eventId: string, extra: Partial<RecoveryRecord> = {}): RecoveryRecord {
  return {
    eventId,
    cloud: "volcengine",
    region: "cn-beijing",
    instanceId: `i-${eventId}`,
    noticedAt: "2030-01-01T00:00:00Z",
    releaseAt: "2030-01-01T00:05:00Z",
    policy: { onInterruption: "image-and-relaunch", keepImages: 2 },
    config: { instanceId: `i-${eventId}` },
    state: "in-progress",
    steps: {},
    ...extra,
  };
}

/** The lease lapses now (as if its holder stopped renewing it long enough ago). */
const lapse = (eventId: string) => pg.sql(`UPDATE pulumi_recovery_journal SET lease_until = clock_timestamp() - interval '1 second' WHERE scope = $1 AND event_id = $2`, [scope, eventId]);
const row = async (eventId: string) => (await pg.sql(`SELECT owner, generation::int AS generation, lease_until, record FROM pulumi_recovery_journal WHERE scope = $1 AND event_id = $2`, [scope, eventId]))[0];

// Each test its own scope, so their rows never meet.
afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
});
const fresh = () => {
  scope = `volcengine/test-${++scopeSeq}`;
};

describe("claims", () => {
  it("one replica claims; another is refused while the lease lives; the holder renews (same generation, later expiry)", async () => {
    fresh();
    const [a, b] = [store(), store()];
    expect(await a.create(record("e1"))).toBe(true);
    expect(await a.claim("e1", "a", 30_000)).toBe(true);
    const first = await row("e1");
    expect(first).toMatchObject({ owner: "a", generation: 1 });
    expect(await b.claim("e1", "b", 30_000)).toBe(false);
    expect(await a.claim("e1", "a", 60_000)).toBe(true); // renewal
    const renewed = await row("e1");
    expect(renewed.generation).toBe(1);
    expect(renewed.lease_until.getTime()).toBeGreaterThan(first.lease_until.getTime());
    expect(await b.claim("e1", "b", 30_000)).toBe(false);
  });

  it("a lapsed lease is taken over with a new generation; the old holder can then neither renew nor write", async () => {
    fresh();
    const [a, b] = [store(), store()];
    await a.create(record("e1"));
    expect(await a.claim("e1", "a", 30_000)).toBe(true);
    await a.put(record("e1", { pointId: "sg-a" }));
    await lapse("e1"); // a stopped (paused, cut off, dead) for longer than its lease
    expect(await b.claim("e1", "b", 30_000)).toBe(true);
    expect(await row("e1")).toMatchObject({ owner: "b", generation: 2 });
    const got = await b.get("e1");
    expect(got?.pointId).toBe("sg-a"); // the new owner goes on from the old owner's progress
    await b.put({ ...got!, steps: { point: { startedAt: "2030-01-01T00:00:10Z", endedAt: "2030-01-01T00:00:12Z" } } });

    // a wakes up: its renewal fails even with b's lease lapsed in turn, and its write is refused
    await lapse("e1");
    expect(await a.claim("e1", "a", 30_000)).toBe(false);
    const stale = a.put(record("e1", { pointId: "sg-stale" }));
    await expect(stale).rejects.toThrow(ClaimLostError);
    await expect(stale).rejects.toThrow(/refused a write of recovery e1 by a: its claim \(generation 1\) was taken over by b \(generation 2\)/);
    expect((await row("e1")).record).toMatchObject({ pointId: "sg-a", steps: { point: { endedAt: "2030-01-01T00:00:12Z" } } });
  });

  it("a paused holder's write still lands when nobody took over its lapsed lease, and then its next claim is refused to others again", async () => {
    fresh();
    const [a, b] = [store(), store()];
    await a.create(record("e1"));
    await a.claim("e1", "a", 30_000);
    await lapse("e1");
    await a.put(record("e1", { pointId: "sg-a" })); // nobody else claimed: its generation still stands
    expect(await a.claim("e1", "a", 30_000)).toBe(true); // renewed
    expect(await b.claim("e1", "b", 30_000)).toBe(false);
    expect((await b.get("e1"))?.pointId).toBe("sg-a");
  });

  it("a write racing another replica's takeover either lands before the claim (and is read by the new owner) or is refused", async () => {
    fresh();
    const [a, b] = [store(), store()];
    for (let i = 0; i < 20; i++) {
      const id = `race-${i}`;
      await a.create(record(id));
      await a.claim(id, "a", 30_000);
      await lapse(id);
      const [claimed, put] = await Promise.allSettled([b.claim(id, "b", 30_000), a.put(record(id, { pointId: "sg-a" }))]);
      expect(claimed).toEqual({ status: "fulfilled", value: true });
      if (put.status === "rejected") {
        expect(put.reason).toBeInstanceOf(ClaimLostError);
        expect((await b.get(id))?.pointId).toBeUndefined();
      } else {
        expect((await b.get(id))?.pointId).toBe("sg-a");
      }
      await expect(a.put(record(id, { pointId: "sg-late" }))).rejects.toThrow(ClaimLostError);
    }
  });

  it("a restarted replica with the same name does not inherit its dead predecessor's live lease", async () => {
    fresh();
    const dead = store();
    await dead.create(record("e1"));
    await dead.claim("e1", "replica-1", 30_000);
    const restarted = store();
    expect(await restarted.claim("e1", "replica-1", 30_000)).toBe(false);
    await lapse("e1");
    expect(await restarted.claim("e1", "replica-1", 30_000)).toBe(true);
    expect((await row("e1")).generation).toBe(2);
    await expect(dead.put(record("e1"))).rejects.toThrow(ClaimLostError);
  });

  it("release lets another replica claim at once; a renewal arriving after the release does not re-lease it", async () => {
    fresh();
    const [a, b] = [store(), store()];
    await a.create(record("e1"));
    await a.claim("e1", "a", 30_000);
    const late = a.claim("e1", "a", 30_000); // in flight while the release runs
    await a.release("e1", "a");
    await late;
    expect(await b.claim("e1", "b", 30_000)).toBe(true);
    expect(await row("e1")).toMatchObject({ owner: "b", generation: 2 });
  });

  it("writing progress without a claim is refused: new recoveries go through create", async () => {
    fresh();
    const a = store();
    await a.create(record("e1"));
    await expect(a.put(record("e1", { pointId: "x" }))).rejects.toThrow(/write recovery e1 by a replica that holds no claim on it/);
    expect(await a.claim("missing", "a", 30_000)).toBe(false);
  });
});

describe("new recoveries", () => {
  it("replicas noticing one interruption at once make one record; the losers change nothing", async () => {
    fresh();
    const stores = Array.from({ length: 8 }, () => store());
    await stores[0].all(); // schema first, so the race below is on the record
    const results = await Promise.all(stores.map((s, i) => s.create(record("e1", { noticedAt: `2030-01-01T00:00:0${i}Z` }))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const rows = await pg.sql(`SELECT record FROM pulumi_recovery_journal WHERE scope = $1`, [scope]);
    expect(rows).toHaveLength(1);
    expect(rows[0].record.noticedAt).toBe(`2030-01-01T00:00:0${results.indexOf(true)}Z`);
  });

  it("a store sees only its scope (one controller's cloud and region); unfinished() is what is in progress", async () => {
    fresh();
    const here = store();
    const there = store(pg.url, `${scope}-other`);
    await here.create(record("e1"));
    await here.create(record("e2", { state: "done" }));
    await there.create(record("e3"));
    expect((await here.all()).map((r) => r.eventId)).toEqual(["e1", "e2"]);
    expect((await here.unfinished()).map((r) => r.eventId)).toEqual(["e1"]);
    expect(await here.get("e3")).toBeUndefined();
    expect(await there.claim("e1", "x", 30_000)).toBe(false);
  });
});

describe("schema and errors", () => {
  it("creates its tables on first use, once, however many replicas start together", async () => {
    const db = `${pg.database}_fresh`;
    await pg.sql(`CREATE DATABASE ${db}`);
    try {
      const url = withDatabase(pg.url, db);
      fresh();
      const stores = Array.from({ length: 6 }, () => store(url));
      await Promise.all(stores.map((s) => s.all()));
      const versions = await (async () => {
        const { Client } = await import("pg");
        const c = new Client({ connectionString: url });
        await c.connect();
        try {
          return (await c.query("SELECT version FROM pulumi_recovery_schema ORDER BY version")).rows.map((r) => r.version);
        } finally {
          await c.end();
        }
      })();
      expect(versions).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await Promise.all(open.splice(0).map((j) => j.close()));
      await pg.sql(`DROP DATABASE ${db} WITH (FORCE)`);
    }
  });

  it("refuses a schema newer than it knows, naming the journal and what to do", async () => {
    fresh();
    await store().all();
    await pg.sql(`INSERT INTO pulumi_recovery_schema (version) VALUES ($1)`, [SCHEMA_VERSION + 1]);
    try {
      await expect(store().all()).rejects.toThrow(new RegExp(`journal postgres://recovery@[^ ]+/${pg.database} \\(${scope}\\) has schema version ${SCHEMA_VERSION + 1}; this controller knows versions up to ${SCHEMA_VERSION}`));
    } finally {
      await pg.sql(`DELETE FROM pulumi_recovery_schema WHERE version = $1`, [SCHEMA_VERSION + 1]);
    }
  });

  it("an unknown state (or a record it cannot read) is an error naming the store, never a skip", async () => {
    fresh();
    const a = store();
    await a.create(record("e1"));
    await pg.sql(`UPDATE pulumi_recovery_journal SET state = 'paused', record = jsonb_set(record, '{state}', '"paused"') WHERE scope = $1`, [scope]);
    const named = new RegExp(`the recovery journal postgres://recovery@[^ ]+ \\(${scope}\\) has a recovery record e1 .*unknown state "paused".*What to do: if a newer pulumi-recovery wrote it, run that version; otherwise delete its row`);
    await expect(a.unfinished()).rejects.toThrow(named);
    await expect(a.get("e1")).rejects.toThrow(named);
    await expect(a.all()).rejects.toThrow(JournalError);
  });

  it("never shows the URL's password: not in where, not in errors", async () => {
    const password = "S3cret-pw_9";
    const u = new URL(pg.url);
    u.password = password; // the test server trusts loopback, so any password connects
    fresh();
    const a = store(u.toString());
    expect(a.where).not.toContain(password);
    expect(a.where).toBe(`postgres://${u.username}@${u.host}${u.pathname} (${scope})`);
    await a.create(record("e1"));
    await pg.sql(`UPDATE pulumi_recovery_journal SET record = '{}' WHERE scope = $1`, [scope]);
    await expect(a.get("e1")).rejects.toThrow(/eventId does not match/);
    await a.get("e1").catch((e) => expect(String(e.message)).not.toContain(password));

    // A server that is not there: the error names the journal, without the password.
    const closed = new URL(u.toString());
    closed.port = "1";
    const unreachable = store(closed.toString());
    const err = await unreachable.all().catch((e: Error) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect((err as Error).message).toMatch(/journal postgres:\/\/recovery@127\.0\.0\.1:1\/.* could not connect \(.*ECONNREFUSED.*\)\. What to do: check that the PostgreSQL server is up/);
    expect((err as Error).message).not.toContain(password);

    expect(() => new PostgresJournal({ url: `mysql://u:${password}@h/db`, scope })).toThrow(/not a postgres:\/\/ URL/);
    try {
      new PostgresJournal({ url: `mysql://u:${password}@h/db`, scope });
    } catch (e) {
      expect((e as Error).message).not.toContain(password);
    }
  });

  it("close() ends the pool: its connections are gone from the server, and a later call is an error", async () => {
    fresh();
    const a = new PostgresJournal({ url: pg.url, scope });
    await Promise.all([a.all(), a.all(), a.get("x")]);
    const mine = () => pg.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pulumi-recovery'`, [pg.database]);
    expect((await mine())[0].n).toBeGreaterThan(0);
    await a.close();
    await expect.poll(async () => (await mine())[0].n).toBe(0);
    await expect(a.all()).rejects.toThrow(/after it was closed/);
  });
});
