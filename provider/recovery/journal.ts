// The controller's durable journal: one JSON file, rewritten atomically (temp file, fsync, rename) after
// every step, so a controller killed at any point and started again continues each recovery where it
// stopped. Every step is also idempotent on the cloud side (ClientTokens, token-tagged images), so
// re-running the step that was in flight when it died never makes a second image or instance.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { RecoveryPolicy } from "../volcengine/recoveryPolicy";

export type StepName = "image" | "wait-image" | "relaunch" | "wait-running" | "prune";

export interface StepTiming {
  startedAt: string;
  endedAt?: string;
  ms?: number;
  /** Milliseconds left before the release when the step ended (negative: after it). */
  marginMs?: number;
  note?: string;
}

/** What the relaunch needs of the doomed instance, captured while it still exists. */
export interface InstanceSnapshot {
  instanceId: string;
  instanceName: string;
  description?: string;
  zoneId: string;
  instanceTypeId: string;
  subnetId: string;
  securityGroupIds: string[];
  spotStrategy: string;
  spotPriceLimit?: number;
  keyPairName?: string;
  hostname?: string;
  volumes: { volumeType: string; size: number; deleteWithInstance?: boolean }[];
  tags: Record<string, string>;
}

export interface RecoveryRecord {
  eventId: string;
  instanceId: string;
  noticedAt: string;
  releaseAt: string;
  policy: RecoveryPolicy;
  snapshot: InstanceSnapshot;
  state: "in-progress" | "done" | "failed";
  imageId?: string;
  /** "final": imaged at the notice; "rolling": the newest rolling image, when the final one could not make it. */
  imageSource?: "final" | "rolling";
  /** For a rolling image: how old the recovered data is at the release, in ms. */
  dataAgeMs?: number;
  replacementId?: string;
  steps: Partial<Record<StepName, StepTiming>>;
  deadlineMet?: boolean;
  error?: string;
  prunedImageIds?: string[];
}

interface JournalFile {
  version: 1;
  recoveries: Record<string, RecoveryRecord>;
}

export class Journal {
  private data: JournalFile;

  constructor(readonly file: string) {
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as JournalFile;
      if (parsed.version !== 1) throw new Error(`journal ${file} has version ${parsed.version}; this controller reads version 1`);
      this.data = parsed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.data = { version: 1, recoveries: {} };
    }
  }

  get(eventId: string): RecoveryRecord | undefined {
    return this.data.recoveries[eventId];
  }

  all(): RecoveryRecord[] {
    return Object.values(this.data.recoveries);
  }

  unfinished(): RecoveryRecord[] {
    return this.all().filter((r) => r.state === "in-progress");
  }

  /** Stores the record and makes it durable before returning. */
  put(record: RecoveryRecord): void {
    this.data.recoveries[record.eventId] = record;
    this.flush();
  }

  private flush(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
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
}
