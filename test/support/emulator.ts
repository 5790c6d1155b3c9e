// One way for a suite to get an emulator: started before the suite, the SDK/provider environment pointed
// at it, state reset before each test, closed (and the environment restored) after the suite.
//
//   const ctx = useEmulator({ timeScale: 100 });
//   it("…", async () => { await ctx.emu.admin.volcengine.state(); });
//
// Deadline tests take a frozen clock instead, and step it: time then moves by exactly what the test says
// (admin.advanceClock) and by a fixed step per cloud API request, however busy the machine is:
//   const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000 } });
// Every request the suite sends is also checked against the cloud's API models: a parameter the model
// does not know (a misspelling, another API's name) is ignored by the real gateway — the call "works"
// and the setting silently has no effect — so the emulator records it (CallRecord.unknownParams) and
// this fixture fails the test that sent it (after each test, and once more after the suite for calls
// made in suite-level hooks). A suite that sends one on purpose names it in `allowUnknownParams`.
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { envFor, startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator";
import { paramPattern } from "../../emulator/spec";
import type { CallRecord } from "../../emulator/service";
import { KNOWN_PROVIDER_MISSPELLINGS, type AllowedUnknownParam } from "./knownProviderMisspellings";

export type { AllowedUnknownParam } from "./knownProviderMisspellings";

export interface EmulatorFixture {
  /** The running emulator (set once the suite's beforeAll ran). */
  readonly emu: RunningEmulator;
}

export interface FixtureOptions extends EmulatorOptions {
  env?: Record<string, string>;
  resetEachTest?: boolean;
  /** Unknown parameters this suite sends on purpose (e.g. a test of a misspelling). */
  allowUnknownParams?: AllowedUnknownParam[];
}

const allowed = (list: AllowedUnknownParam[], c: CallRecord, param: string): boolean =>
  list.some((a) => (a.cloud === undefined || a.cloud === c.cloud) && (a.action === undefined || a.action === c.action) && (a.param === param || a.param === paramPattern(param)));

/** The calls that sent parameters the models do not know (beyond `allow`), one line each; "" if none. */
export function unknownParamReport(calls: CallRecord[], allow: AllowedUnknownParam[] = []): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const c of calls) {
    const bad = (c.unknownParams ?? []).filter((p) => !allowed(allow, c, p));
    const line = `${c.cloud} ${c.service} ${c.action}: ${bad.join(", ")}`;
    if (bad.length && !seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines.length ? `requests sent parameters the API models do not know (the real cloud ignores them):\n  ${lines.join("\n  ")}` : "";
}

export function useEmulator(opts: FixtureOptions = {}): EmulatorFixture {
  const { env, resetEachTest = true, allowUnknownParams = [], ...emuOpts } = opts;
  const allow = [...KNOWN_PROVIDER_MISSPELLINGS, ...allowUnknownParams];
  let emu: RunningEmulator | undefined;
  let checkedUpTo = 0;
  let saved: NodeJS.ProcessEnv = {};

  /** Fails with the unknown parameters sent since the last check. */
  const check = async (): Promise<void> => {
    if (!emu) return;
    const calls = await emu.admin.calls({ since: checkedUpTo });
    if (calls.length) checkedUpTo = calls[calls.length - 1].seq;
    const report = unknownParamReport(calls, allow);
    if (report) throw new Error(report);
  };

  beforeAll(async () => {
    saved = { ...process.env };
    emu = await startEmulator(emuOpts);
    Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: "20" }, env ?? {});
  });
  afterAll(async () => {
    try {
      await check();
    } finally {
      process.env = saved;
      await emu?.close();
    }
  });
  // Before the next test's reset empties the call log.
  afterEach(check);
  if (resetEachTest)
    beforeEach(async () => {
      await emu!.admin.reset();
      checkedUpTo = 0; // the reset empties the log; its sequence numbers go on, so 0 is safe
    });
  return {
    get emu() {
      if (!emu) throw new Error("useEmulator: the emulator is not started yet (use it inside tests or hooks)");
      return emu;
    },
  };
}
