// What every controller command needs before it starts: connection settings from the same stack config
// names (or environment variables) as the providers, and the cloud's clock.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { AdminClient } from "../emulator/adminClient";
import type { ConfigSource } from "../provider/config";
import { sleep, systemClock, type Clock } from "../provider/core/clock";

/**
 * A stack's config, secrets decrypted, read with the Pulumi CLI (`pulumi config --json --show-secrets`)
 * in the project directory: `volcengine:accessKey` etc., exactly what the providers read.
 */
export async function stackConfig(stack: string, cwd: string): Promise<ConfigSource> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)("pulumi", ["config", "--json", "--show-secrets", "--stack", stack], { cwd, maxBuffer: 16 * 1024 * 1024 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === "ENOENT") throw new Error("--stack needs the Pulumi CLI on PATH (it reads the stack's config); or set the environment variables instead");
    throw new Error(`could not read the config of stack ${stack} in ${cwd}: ${(err.stderr || err.message).trim().split("\n").pop()}`);
  }
  const values = JSON.parse(stdout) as Record<string, { value?: unknown }>;
  return { get: (key) => (values[key]?.value === undefined ? undefined : String(values[key].value)) };
}

/**
 * The cloud's clock. For the real clouds that is the machine's (NTP-synchronised) clock; against the
 * emulator (PULUMI_RECOVERY_EMULATOR_URL set) it is the emulator's, which may run faster or be frozen,
 * so margins and deadlines are the cloud's, not this machine's.
 */
export async function cloudClock(): Promise<Clock> {
  const url = process.env.PULUMI_RECOVERY_EMULATOR_URL;
  if (!url) return systemClock;
  const admin = new AdminClient(url);
  let reading = { at: Date.now(), now: 0, scale: 1, frozen: false };
  const refresh = async () => {
    const c = await admin.clock();
    reading = { at: Date.now(), now: Date.parse(c.now), scale: c.timeScale, frozen: c.frozen };
  };
  await refresh();
  return {
    now: () => Math.floor(reading.now + (reading.frozen ? 0 : (Date.now() - reading.at) * reading.scale)),
    sleep: async (ms, signal) => {
      // A scaled clock passes `ms` in ms/scale of real time; a frozen one moves only with requests.
      await sleep(Math.max(1, Math.min(ms, reading.frozen ? 50 : ms / reading.scale)), signal);
      await refresh();
    },
  };
}
