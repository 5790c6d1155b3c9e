// The OpenStack runner's journal: what it did for each schedule slot and each recovery, so a repeated
// pass (or one after a crash) neither acts twice for one slot nor forgets an action half done.
//
// Its own small store, not recovery/journal.ts's: that one's records are spot recoveries (an event, a
// release deadline, the point/relaunch/prune steps) and its reader refuses any other shape, rightly. This
// one keeps small keyed records of another shape, with the same file discipline: one JSON file rewritten
// atomically (temp file, fsync, rename) after every change, and a pid lock file that refuses a second
// process (two runners on one machine share the cloud-side guarantees instead: see backups.ts).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";

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
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, kind: "openstack-actions", records: {} };
      throw new ActionJournalError(this.file, `cannot be read (${(e as Error).message})`, "check its permissions, or pass --journal with a path the runner can write");
    }
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ActionJournalError(this.file, "is not valid JSON", `move it aside (mv ${this.file} ${this.file}.bad) and run again: backups are found again from Glance by their tokens; suspend/resume slots already passed are then acted on once more`);
    }
    if (parsed?.kind !== "openstack-actions" || parsed?.version !== 1 || typeof parsed.records !== "object") {
      throw new ActionJournalError(this.file, "is not an OpenStack runner journal of version 1 (another controller's file?)", "give the OpenStack runner its own --journal path");
    }
    for (const [key, r] of Object.entries<any>(parsed.records)) {
      if (!r || r.key !== key || !STATES.has(r.state) || !KINDS.has(r.kind) || typeof r.serverId !== "string") {
        throw new ActionJournalError(this.file, `has a record ${key} this runner cannot read`, "if a newer pulumi-recovery wrote it, run that version; otherwise move the file aside");
      }
    }
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
        if (pid && pid !== process.pid && alive(pid)) throw new ActionJournalError(this.file, `is in use by another runner (pid ${pid})`, "run one runner per journal file");
        unlinkSync(this.lock); // stale: its process is gone
      }
    }
  }

  private dropLock(): void {
    try {
      if (existsSync(this.lock) && Number(readFileSync(this.lock, "utf8")) === process.pid) unlinkSync(this.lock);
    } catch {
      // best effort: a stale lock is taken over by the next runner
    }
  }

  async get(key: string): Promise<ActionRecord | undefined> {
    return Object.hasOwn(this.data.records, key) ? this.data.records[key] : undefined;
  }

  async all(): Promise<ActionRecord[]> {
    return Object.values(this.data.records);
  }

  async put(record: ActionRecord): Promise<void> {
    this.data.records[record.key] = record;
    this.flush();
  }

  async prune(before: string): Promise<number> {
    let n = 0;
    for (const [k, r] of Object.entries(this.data.records)) {
      if (r.state !== "in-progress" && (r.kind === "backup" || r.kind === "suspend") && (r.endedAt ?? r.startedAt) < before) {
        delete this.data.records[k];
        n++;
      }
    }
    if (n) this.flush();
    return n;
  }

  private flush(): void {
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
