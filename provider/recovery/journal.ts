// The controller's durable journal: what each recovery has done, so a controller killed at any point and
// started again (or another replica) continues it where it stopped. Every step is also idempotent on the
// cloud side (create tokens), so re-running the step that was in flight never makes a second point or
// instance.
//
// Two stores behind one interface: a JSON file for one controller on one machine (rewritten atomically
// after every step; a second process on the same file is refused), and PostgreSQL for replicas, where
// each interruption is claimed by one replica through a row lease (journalPg.ts).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import type { CloudName } from "./cloud";
import type { RecoveryPolicy } from "./policy";

export const STEPS = ["point", "wait-point", "relaunch", "wait-running", "prune"] as const;
export type StepName = (typeof STEPS)[number];

export interface StepTiming {
  startedAt: string;
  endedAt?: string;
  ms?: number;
  /** Milliseconds left before the release when the step ended (negative: after it). */
  marginMs?: number;
  note?: string;
}

export interface RecoveryRecord {
  eventId: string;
  cloud: CloudName;
  region: string;
  instanceId: string;
  noticedAt: string;
  releaseAt: string;
  policy: RecoveryPolicy;
  /** What the relaunch needs of the instance (the cloud's own shape), captured at the notice. */
  config: unknown;
  state: "in-progress" | "done" | "failed";
  pointId?: string;
  /** "final": taken at the notice; "rolling": the newest rolling point, when the final one could not make it. */
  pointSource?: "final" | "rolling";
  /** For a rolling point: how old the recovered data is at the release, in ms. */
  dataAgeMs?: number;
  imageId?: string;
  replacementId?: string;
  /** Replacements lost before they ran so far (each new one gets its own token). */
  relaunchAttempt?: number;
  steps: Partial<Record<StepName, StepTiming>>;
  deadlineMet?: boolean;
  /** Failed steps so far; the next try waits until retryAt (the cloud's clock). */
  attempts?: number;
  /** Of those, the failures that were not transient (throttling, 5xx, lost connections are not counted): enough of them give the recovery up. */
  hardFailures?: number;
  retryAt?: string;
  lastError?: string;
  /** Why the recovery failed for good. */
  error?: string;
  prunedPointIds?: string[];
  /** How the recovery was found when it was not noticed in time (e.g. "journal lost: found from its recovery point"). */
  foundBy?: string;
}

export interface JournalStore {
  /** Where the journal lives, for messages (a path, or a URL without credentials). */
  readonly where: string;
  get(eventId: string): Promise<RecoveryRecord | undefined>;
  put(record: RecoveryRecord): Promise<void>;
  /** Records still in progress. */
  unfinished(): Promise<RecoveryRecord[]>;
  all(): Promise<RecoveryRecord[]>;
  /** Claims the recovery for `owner` until `leaseMs` from now; false when another live owner holds it. */
  claim(eventId: string, owner: string, leaseMs: number): Promise<boolean>;
  release(eventId: string, owner: string): Promise<void>;
  close(): Promise<void>;
}

const STATES = new Set(["in-progress", "done", "failed"]);

/** A journal that cannot be read: names the file (or store) and what to do. */
export class JournalError extends Error {
  constructor(where: string, problem: string, todo: string) {
    super(`the recovery journal ${where} ${problem}. What to do: ${todo}`);
    this.name = "JournalError";
  }
}

/** Checks a record read back from a store: an unknown state or shape is an error, never a skip. */
export function validateRecord(where: string, key: string, r: any): RecoveryRecord {
  const bad = (what: string) =>
    new JournalError(where, `has a recovery record ${key} that this controller cannot read (${what})`, `if a newer pulumi-recovery wrote it, run that version; otherwise move the file aside and run again (the controller finds interrupted instances from their recovery points)`);
  if (!r || typeof r !== "object") throw bad("not an object");
  if (typeof r.eventId !== "string" || r.eventId !== key) throw bad("its eventId does not match its key");
  if (!STATES.has(r.state)) throw bad(`unknown state ${JSON.stringify(r.state)}`);
  if (typeof r.instanceId !== "string" || typeof r.releaseAt !== "string" || typeof r.steps !== "object") throw bad("fields missing");
  for (const step of Object.keys(r.steps)) if (!(STEPS as readonly string[]).includes(step)) throw bad(`unknown step ${step}`);
  return r as RecoveryRecord;
}

interface JournalFile {
  version: 2;
  recoveries: Record<string, RecoveryRecord>;
}

/**
 * The file journal: one JSON file, rewritten atomically (temp file, fsync, rename) after every change.
 * One controller process at a time: a lock file beside it (holding the pid) refuses a second one, which
 * would otherwise overwrite the first one's records — run replicas on PostgreSQL instead.
 */
export class FileJournal implements JournalStore {
  private data: JournalFile;
  private readonly lock: string;

  constructor(readonly file: string) {
    this.lock = `${file}.lock`;
    mkdirSync(path.dirname(file), { recursive: true });
    this.takeLock();
    try {
      this.data = this.load();
    } catch (e) {
      this.dropLock();
      throw e;
    }
  }

  get where(): string {
    return this.file;
  }

  private load(): JournalFile {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 2, recoveries: {} };
      throw new JournalError(this.file, `cannot be read (${(e as Error).message})`, "check the file's permissions, or pass --journal with a path the controller can write");
    }
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new JournalError(this.file, "is not valid JSON (it may have been edited or truncated)", `move it aside (mv ${this.file} ${this.file}.bad) and run again: recoveries still in flight are found again from the cloud (their recovery points and events)`);
    }
    if (parsed?.version !== 2 || typeof parsed.recoveries !== "object") {
      throw new JournalError(this.file, `has version ${JSON.stringify(parsed?.version)}; this controller reads version 2`, `finish its recoveries with the version that wrote it, or move it aside (recoveries in flight are found again from the cloud)`);
    }
    for (const [key, r] of Object.entries(parsed.recoveries)) validateRecord(this.file, key, r);
    return parsed as JournalFile;
  }

  private takeLock(): void {
    for (let i = 0; i < 2; i++) {
      try {
        writeFileSync(this.lock, String(process.pid), { flag: "wx" });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number(readFileSync(this.lock, "utf8"));
        if (pid && pid !== process.pid && alive(pid)) {
          throw new JournalError(this.file, `is in use by another controller (pid ${pid})`, "run one controller per file journal, or run replicas with --store postgres://…");
        }
        unlinkSync(this.lock); // stale: its process is gone
      }
    }
  }

  private dropLock(): void {
    try {
      if (existsSync(this.lock) && Number(readFileSync(this.lock, "utf8")) === process.pid) unlinkSync(this.lock);
    } catch {
      // best effort: a stale lock is taken over by the next controller
    }
  }

  async get(eventId: string): Promise<RecoveryRecord | undefined> {
    return Object.hasOwn(this.data.recoveries, eventId) ? this.data.recoveries[eventId] : undefined;
  }

  async all(): Promise<RecoveryRecord[]> {
    return Object.values(this.data.recoveries);
  }

  async unfinished(): Promise<RecoveryRecord[]> {
    return (await this.all()).filter((r) => r.state === "in-progress");
  }

  /** Stores the record and makes it durable before returning. */
  async put(record: RecoveryRecord): Promise<void> {
    this.data.recoveries[record.eventId] = record;
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(this.data, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }

  /** One process owns the whole file (the lock), so every claim is its own. */
  async claim(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {
    this.dropLock();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
