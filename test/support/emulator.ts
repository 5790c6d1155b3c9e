// One way for a suite to get an emulator: started before the suite, the SDK/provider environment pointed
// at it, state reset before each test, closed (and the environment restored) after the suite.
//
//   const ctx = useEmulator({ timeScale: 100 });
//   it("…", async () => { await ctx.emu.admin.volcengine.state(); });
//
// Deadline tests take a frozen clock instead, and step it: time then moves by exactly what the test says
// (admin.advanceClock) and by a fixed step per cloud API request, however busy the machine is:
//   const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000 } });
import { afterAll, beforeAll, beforeEach } from "vitest";
import { envFor, startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator";

export interface EmulatorFixture {
  /** The running emulator (set once the suite's beforeAll ran). */
  readonly emu: RunningEmulator;
}

export function useEmulator(opts: EmulatorOptions & { env?: Record<string, string>; resetEachTest?: boolean } = {}): EmulatorFixture {
  const { env, resetEachTest = true, ...emuOpts } = opts;
  let emu: RunningEmulator | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    emu = await startEmulator(emuOpts);
    Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: "20" }, env ?? {});
  });
  afterAll(async () => {
    process.env = saved;
    await emu?.close();
  });
  if (resetEachTest) beforeEach(async () => void (await emu!.admin.reset()));
  return {
    get emu() {
      if (!emu) throw new Error("useEmulator: the emulator is not started yet (use it inside tests or hooks)");
      return emu;
    },
  };
}
