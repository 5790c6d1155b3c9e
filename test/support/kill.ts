// A controller "killed" right after a given step: its pass stops there, as a SIGKILL would leave it
// (the journal holds what was written up to the step). The controller suites of every cloud use it.
import type { ControllerOptions } from "../../provider/recovery/controller";
import type { StepName } from "../../provider/recovery/journal";

export function killedAfter(killAt: StepName): Pick<ControllerOptions, "signal" | "afterStep"> {
  const abort = new AbortController();
  return {
    signal: abort.signal,
    afterStep: (_r, step) => {
      if (step === killAt) {
        abort.abort(new Error(`killed after ${step}`));
        throw abort.signal.reason;
      }
    },
  };
}
