// A JSON document in one file, owned by one process: rewritten atomically (temp file, fsync, rename)
// after every change, with a lock file beside it holding the owner's pid, so a second process is refused
// instead of overwriting the first one's records (a lock whose process is gone is taken over).
// The controller's file journal and the OpenStack runner's journal are both one of these.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";

export interface LockedFileOptions<T> {
  /** The document of a file that does not exist yet. */
  empty: () => T;
  /** Checks what was read (throws the caller's own error for a document it cannot read). */
  validate: (parsed: unknown) => T;
  /** The caller's error for a problem with the file, and what to do about it. */
  error: (problem: string, todo: string) => Error;
  /** Who holds the lock, for "in use by another …" ("controller", "runner"). */
  holder: string;
  /** What to do when another live process holds the lock. */
  inUseTodo: string;
  /** What to do when the file is not JSON. */
  corruptTodo: string;
  /** What to do when the file cannot be read. */
  unreadableTodo: string;
}

export class LockedJsonFile<T> {
  /** The document; change it, then save(). */
  data: T;
  private readonly lock: string;

  constructor(
    readonly file: string,
    private readonly o: LockedFileOptions<T>,
  ) {
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

  private load(): T {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return this.o.empty();
      throw this.o.error(`cannot be read (${(e as Error).message})`, this.o.unreadableTodo);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.o.error("is not valid JSON (it may have been edited or truncated)", `move it aside (mv ${this.file} ${this.file}.bad) and run again: ${this.o.corruptTodo}`);
    }
    return this.o.validate(parsed);
  }

  /** Makes the document durable before returning. */
  save(): void {
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

  close(): void {
    this.dropLock();
  }

  private takeLock(): void {
    for (let i = 0; i < 2; i++) {
      try {
        writeFileSync(this.lock, String(process.pid), { flag: "wx" });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number(readFileSync(this.lock, "utf8"));
        if (pid && pid !== process.pid && alive(pid)) throw this.o.error(`is in use by another ${this.o.holder} (pid ${pid})`, this.o.inUseTodo);
        unlinkSync(this.lock); // stale: its process is gone
      }
    }
  }

  private dropLock(): void {
    try {
      if (existsSync(this.lock) && Number(readFileSync(this.lock, "utf8")) === process.pid) unlinkSync(this.lock);
    } catch {
      // best effort: a stale lock is taken over by the next process
    }
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
