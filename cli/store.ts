// Where a controller command keeps its journal — one choice for every command that runs the controller
// (`watch`, and a long-running `serve`): PostgreSQL when given a postgres:// URL (replicas that share the
// work), else the file journal, the embedded default for one controller on one machine.
import { hostname } from "node:os";
import path from "node:path";
import type { CloudName } from "../provider/recovery/cloud";
import { FileJournal, type JournalStore } from "../provider/recovery/journal";
import { PostgresJournal } from "../provider/recovery/journalPg";

/** The environment variable that names the store when --store is not given. */
export const STORE_ENV = "PULUMI_RECOVERY_STORE";

export interface StoreChoice {
  /** --store: a postgres:// URL. */
  store?: string;
  /** --journal: the file journal's path. */
  journal?: string;
  cloud: CloudName;
  region: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens the journal the flags (or PULUMI_RECOVERY_STORE) ask for. Flags beat the environment: --journal
 * alone means the file journal even when PULUMI_RECOVERY_STORE is set; --store and --journal together
 * are an error.
 */
export function openJournal(o: StoreChoice): JournalStore {
  if (o.store !== undefined && o.journal !== undefined) throw new Error("--store and --journal both given: --store postgres://… for replicas that share a journal, or --journal PATH for one controller's file");
  const url = o.store ?? (o.journal === undefined ? (o.env ?? process.env)[STORE_ENV] || undefined : undefined);
  if (url !== undefined) {
    const from = o.store !== undefined ? "--store" : STORE_ENV;
    // Never echo the value: it may carry a password.
    if (!/^postgres(ql)?:\/\//i.test(url)) throw new Error(`${from} takes a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL (the file journal is the default; choose its path with --journal)`);
    return new PostgresJournal({ url, scope: `${o.cloud}/${o.region}` });
  }
  return new FileJournal(o.journal ?? path.resolve(".pulumi-recovery", `journal-${o.cloud}-${o.region}.json`));
}

/** A replica's default name in claims: unique per process, and says where to look (host and pid). */
export function defaultOwner(): string {
  return `${hostname()}-${process.pid}`;
}

/** --lease in seconds → ms. Claims are renewed every third of the lease, at most once a second. */
export function leaseMs(seconds: string | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  const s = Number(seconds);
  if (!(Number.isFinite(s) && s >= 3)) throw new Error(`--lease takes seconds, at least 3 (claims are renewed every third of it), got ${JSON.stringify(seconds)}`);
  return s * 1000;
}
