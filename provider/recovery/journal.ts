// The controller's durable journal: what each recovery has done, so a controller killed at any point and
// started again (or another replica) continues it where it stopped. Every step is also idempotent on the
// cloud side (create tokens), so re-running the step that was in flight never makes a second point or
// instance.
//
// Two stores behind one interface: a JSON file for one controller on one machine (rewritten atomically
// after every step; a second process on the same file is refused), and PostgreSQL for replicas, where
// each interruption is claimed by one replica through a row lease (journalPg.ts).
import { LockedJsonFile } from "../core/lockedFile";
import path from "node:path";
import type { CloudName } from "./cloud";
import type { Placement, RecoveryPolicy } from "./policy";

export const STEPS = ["guest-hook", "point", "wait-point", "relaunch", "wait-running", "prune"] as const;
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
  /** Where the replacement went, when not the instance's own placement, and why. */
  placement?: Placement;
  placementNote?: string;
  /** The guest hook: whether the guest answered within its budget, and how. */
  guest?: { answered: boolean; detail: string };
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
  /**
   * Journals a new recovery once, whichever replica noticed it first: false (and nothing written) when a
   * record for its event exists already — two replicas seeing one interruption make one record.
   */
  create(record: RecoveryRecord): Promise<boolean>;
  /**
   * Stores the progress of a recovery this replica has claimed. A shared store refuses (throws) the write
   * of a replica whose claim another replica has taken over since, so it never overwrites newer progress.
   */
  put(record: RecoveryRecord): Promise<void>;
  /** Records still in progress. */
  unfinished(): Promise<RecoveryRecord[]>;
  all(): Promise<RecoveryRecord[]>;
  /**
   * Claims the recovery for `owner` until `leaseMs` from now; false when another live owner holds it.
   * Called again while holding it, renews that claim only: false once another replica took it over.
   */
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

const FILE_TODO = "if a newer pulumi-recovery wrote it, run that version; otherwise move the file aside and run again (the controller finds interrupted instances from their recovery points)";

/**
 * Checks a record read back from a store: an unknown state or shape is an error, never a skip. `todo`
 * says what to do about it in that store (the file's advice by default).
 */
export function validateRecord(where: string, key: string, r: any, todo = FILE_TODO): RecoveryRecord {
  const bad = (what: string) => new JournalError(where, `has a recovery record ${key} that this controller cannot read (${what})`, todo);
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
 * The file journal: one JSON file, rewritten atomically after every change, owned by one controller
 * process at a time (core/lockedFile.ts) — run replicas on PostgreSQL instead.
 */
export class FileJournal implements JournalStore {
  private readonly doc: LockedJsonFile<JournalFile>;

  constructor(readonly file: string) {
    this.doc = new LockedJsonFile<JournalFile>(file, {
      empty: () => ({ version: 2, recoveries: {} }),
      validate: (parsed: any) => {
        if (parsed?.version !== 2 || typeof parsed.recoveries !== "object") {
          throw new JournalError(file, `has version ${JSON.stringify(parsed?.version)}; this controller reads version 2`, "finish its recoveries with the version that wrote it, or move it aside (recoveries in flight are found again from the cloud)");
        }
        for (const [key, r] of Object.entries(parsed.recoveries)) validateRecord(file, key, r);
        return parsed as JournalFile;
      },
      error: (problem, todo) => new JournalError(file, problem, todo),
      holder: "controller",
      inUseTodo: "run one controller per file journal, or run replicas with --store postgres://…",
      corruptTodo: "recoveries still in flight are found again from the cloud (their recovery points and events)",
      unreadableTodo: "check the file's permissions, or pass --journal with a path the controller can write",
    });
  }

  get where(): string {
    return this.file;
  }

  private get recoveries(): Record<string, RecoveryRecord> {
    return this.doc.data.recoveries;
  }

  async get(eventId: string): Promise<RecoveryRecord | undefined> {
    return Object.hasOwn(this.recoveries, eventId) ? this.recoveries[eventId] : undefined;
  }

  async all(): Promise<RecoveryRecord[]> {
    return Object.values(this.recoveries);
  }

  async unfinished(): Promise<RecoveryRecord[]> {
    return (await this.all()).filter((r) => r.state === "in-progress");
  }

  async create(record: RecoveryRecord): Promise<boolean> {
    if (Object.hasOwn(this.recoveries, record.eventId)) return false;
    await this.put(record);
    return true;
  }

  /** Stores the record and makes it durable before returning. */
  async put(record: RecoveryRecord): Promise<void> {
    this.recoveries[record.eventId] = record;
    this.doc.save();
  }

  /** One process owns the whole file (the lock), so every claim is its own. */
  async claim(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {
    this.doc.close();
  }
}
