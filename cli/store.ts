// Where the controller journals: a file for one machine (the default), or a shared store for replicas.
import path from "node:path";
import { FileJournal, type JournalStore } from "../provider/recovery/journal";

/** `spec`: a path, `file:PATH`, or undefined for `.pulumi-recovery/journal-<cloud>-<region>.json`. */
export async function openStore(spec: string | undefined, defaultName: string): Promise<JournalStore> {
  if (spec && /^postgres(ql)?:\/\//.test(spec)) {
    throw new Error("--store postgres://… is not available in this build: use a file journal on one machine");
  }
  const file = spec ? spec.replace(/^file:/, "") : path.resolve(".pulumi-recovery", `${defaultName}.json`);
  return new FileJournal(path.resolve(file));
}
