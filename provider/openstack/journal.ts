// The OpenStack runner's journal: what it did for each schedule slot and each recovery, so a repeated
// pass (or one after a crash) neither acts twice for one slot nor forgets an action half done.
//
// Its own small store, not recovery/journal.ts's: that one's records are spot recoveries (an event, a
// release deadline, the point/relaunch/prune steps) and its reader refuses any other shape, rightly. This
// one keeps small keyed records of another shape, in the same kind of file (core/lockedFile.ts: atomic
// rewrites, a pid lock that refuses a second process; two runners on two machines rely on the cloud-side
// guarantees instead: see backups.ts).
import { LockedJsonFile } from "../core/lockedFile";

export type ActionKind = "backup" | "recovery" | "suspend" | "probe" | "operator";

export interface ActionRecord {
  /** backup:<server>:<type>:<slot>, recovery:<server>, suspend:<server>, probe:<server>, operator:<server>. */
  key: string;
  kind: ActionKind;
  serverId: string;
  state: "in-progress" | "done" | "failed";
  /** The schedule slot this record is for (ISO 8601), for backups and suspend/resume. */
  slot?: string;
  /** rescue, rebuild, suspend, pause, resume, unpause, unrescue, createBackup. */
  action?: string;
  /** Why (the failure seen, the schedule). */
  reason?: string;
  /** The backup made, or the image a rebuild uses (chosen once, then kept across a crash). */
  imageId?: string;
  startedAt: string;
  endedAt?: string;
  error?: string;
  /** For probe records: consecutive failed checks. */
  failures?: number;
  /** Who acted: "runner" or "operator". */
  by?: string;
}

export interface ActionJournal {
  readonly where: string;
  get(key: string): Promise<ActionRecord | undefined>;
  put(record: ActionRecord): Promise<void>;
  all(): Promise<ActionRecord[]>;
  /** Drops records older than `before` (ISO) that are done: slots long past. */
  prune(before: string): Promise<number>;
  close(): Promise<void>;
}

const STATES = new Set(["in-progress", "done", "failed"]);
const KINDS = new Set(["backup", "recovery", "suspend", "probe", "operator"]);

export class ActionJournalError extends Error {
  constructor(where: string, problem: string, todo: string) {
    super(`the OpenStack runner's journal ${where} ${problem}. What to do: ${todo}`);
    this.name = "ActionJournalError";
  }
}

interface JournalFile {
  version: 1;
  kind: "openstack-actions";
  records: Record<string, ActionRecord>;
}

export class FileActionJournal implements ActionJournal {
  private readonly doc: LockedJsonFile<JournalFile>;

  constructor(readonly file: string) {
    this.doc = new LockedJsonFile<JournalFile>(file, {
      empty: () => ({ version: 1, kind: "openstack-actions", records: {} }),
      validate: (parsed: any) => {
        if (parsed?.kind !== "openstack-actions" || parsed?.version !== 1 || typeof parsed.records !== "object") {
          throw new ActionJournalError(file, "is not an OpenStack runner journal of version 1 (another controller's file?)", "give the OpenStack runner its own --journal path");
        }
        for (const [key, r] of Object.entries<any>(parsed.records)) {
          if (!r || r.key !== key || !STATES.has(r.state) || !KINDS.has(r.kind) || typeof r.serverId !== "string") {
            throw new ActionJournalError(file, `has a record ${key} this runner cannot read`, "if a newer pulumi-recovery wrote it, run that version; otherwise move the file aside");
          }
        }
        return parsed as JournalFile;
      },
      error: (problem, todo) => new ActionJournalError(file, problem, todo),
      holder: "runner",
      inUseTodo: "run one runner per journal file",
      corruptTodo: "backups are found again from Glance by their tokens; suspend/resume slots already passed are then acted on once more",
      unreadableTodo: "check its permissions, or pass --journal with a path the runner can write",
    });
  }

  get where(): string {
    return this.file;
  }

  private get records(): Record<string, ActionRecord> {
    return this.doc.data.records;
  }

  async get(key: string): Promise<ActionRecord | undefined> {
    return Object.hasOwn(this.records, key) ? this.records[key] : undefined;
  }

  async all(): Promise<ActionRecord[]> {
    return Object.values(this.records);
  }

  async put(record: ActionRecord): Promise<void> {
    this.records[record.key] = record;
    this.doc.save();
  }

  async prune(before: string): Promise<number> {
    let n = 0;
    for (const [k, r] of Object.entries(this.records)) {
      if (r.state !== "in-progress" && (r.kind === "backup" || r.kind === "suspend") && (r.endedAt ?? r.startedAt) < before) {
        delete this.records[k];
        n++;
      }
    }
    if (n) this.doc.save();
    return n;
  }

  async close(): Promise<void> {
    this.doc.close();
  }
}
