// A fresh database per suite on the real PostgreSQL server the tests use (never a stand-in): created
// before the suite, dropped after it, so suites never see each other's rows.
//
//   const pg = usePostgres("journal");
//   it("…", async () => { const j = new PostgresJournal({ url: pg.url, scope: "t" }); … });
//
// The server is PULUMI_RECOVERY_TEST_PG, else the one `npm run setup:postgres` started (its URL is in
// .pulumi-test/postgres-url). Without either, the suite fails and says how to get one.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll } from "vitest";

const URL_FILE = path.resolve(__dirname, "../../.pulumi-test/postgres-url");

export function serverUrl(): string {
  const url = process.env.PULUMI_RECOVERY_TEST_PG || (existsSync(URL_FILE) ? readFileSync(URL_FILE, "utf8").trim() : "");
  if (!url) throw new Error("no PostgreSQL server for the tests: run `npm run setup:postgres` (Debian's postgresql package, on loopback), or set PULUMI_RECOVERY_TEST_PG=postgres://… to a server where the user may create databases");
  return url;
}

/** The server URL with another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface PostgresFixture {
  /** The suite's own database (set once the suite's beforeAll ran). */
  readonly url: string;
  readonly database: string;
  /** Runs one statement in the suite's database (tests use it to look at or age rows). */
  sql<R = any>(text: string, params?: unknown[]): Promise<R[]>;
}

export function usePostgres(suite: string): PostgresFixture {
  const database = `pr_test_${suite.replace(/\W/g, "_").toLowerCase()}_${process.pid}_${randomBytes(3).toString("hex")}`;
  let url: string | undefined;
  let admin: Client | undefined;
  let client: Client | undefined;

  beforeAll(async () => {
    const server = serverUrl();
    admin = new Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    url = withDatabase(server, database);
    client = new Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end().catch(() => undefined);
    // FORCE (PostgreSQL 13+): a child process killed mid-test may still hold a connection.
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
  });

  return {
    database,
    get url() {
      if (!url) throw new Error("usePostgres: the database is not created yet (use it inside tests or hooks)");
      return url;
    },
    async sql(text, params = []) {
      if (!client) throw new Error("usePostgres: the database is not created yet (use it inside tests or hooks)");
      return (await client.query(text, params)).rows;
    },
  };
}
