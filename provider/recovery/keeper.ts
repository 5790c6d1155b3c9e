// The controller's helpers for work it does besides recoveries, on each pass (copies.ts, schedules.ts).
import type pLimit from "p-limit";
import type { Clock } from "../core/clock";
import type { RecoveryEvent } from "./controller";
import type { RecoveryCloud } from "./cloud";

/** What the controller lends the keepers of copies and schedules: its cloud, clock, concurrency and events. */
export interface Keeper {
  cloud: RecoveryCloud<any>;
  clock: Clock;
  limit: ReturnType<typeof pLimit>;
  emit(e: Omit<RecoveryEvent, "at">): void;
}
