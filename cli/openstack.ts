// The OpenStack side of the command line: `watch --cloud openstack` (the policy runner) and the operator
// commands `rescue|unrescue|suspend|resume <server>`, on the same connection settings as the providers
// (stack config `openstack:*` with --stack, a clouds.yaml cloud with --os-cloud or OS_CLOUD, the OS_*
// variables) and the same journal.
import path from "node:path";
import { openstackConnection, type ConfigSource } from "../provider/config";
import { OpenStackClient } from "../provider/openstack/client";
import { ActionJournalError, FileActionJournal, type ActionJournal } from "../provider/openstack/journal";
import { operate, type OperatorAction } from "../provider/openstack/operator";
import { OpenStackRunner, type RunnerEvent, type RunnerPassResult } from "../provider/openstack/runner";
import { cloudClock, stackConfig } from "./context";

export interface OpenStackCliOptions {
  stack?: string;
  cwd?: string;
  osCloud?: string;
  region?: string;
  journal?: string;
  json?: boolean;
}

async function connect(opts: OpenStackCliOptions) {
  const config: ConfigSource | undefined = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const conn = openstackConnection(config, { cloud: opts.osCloud, region: opts.region });
  return { conn, client: OpenStackClient.for(conn) };
}

/** The default journal: one per auth URL host and region, beside the Volcengine ones. */
function journalPath(opts: OpenStackCliOptions, conn: { authUrl: string; region?: string }): string {
  const host = new URL(conn.authUrl).host.replace(/[^\w.-]+/g, "_");
  return opts.journal ?? path.resolve(".pulumi-recovery", `journal-openstack-${host}-${conn.region ?? "default"}.json`);
}

export function runnerEventPrinter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (e: RunnerEvent) => out(json ? JSON.stringify(e) : `${e.at} ${e.serverName ?? ""} ${e.serverId} ${e.kind}: ${e.message}`);
}

export async function watchOpenStack(opts: OpenStackCliOptions & { once?: boolean; interval?: string }): Promise<number> {
  const { conn, client } = await connect(opts);
  const journal = new FileActionJournal(journalPath(opts, conn));
  const runner = new OpenStackRunner({ client, journal, clock: await cloudClock(), onEvent: runnerEventPrinter(Boolean(opts.json)) });
  const summary = (r: RunnerPassResult) => {
    const s = { protectedServers: r.protectedServers, backupsStarted: r.backupsStarted, backupsFound: r.backupsFound, backupsDeferred: r.backupsDeferred, recoveries: r.recoveries, suspended: r.suspended, resumed: r.resumed, failed: r.failed };
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ kind: "summary", ...s })}\n`
        : `pass done: ${s.protectedServers} protected, ${s.backupsStarted} backups started (${s.backupsFound} found, ${s.backupsDeferred} deferred), ${s.recoveries} recoveries, ${s.suspended} suspended, ${s.resumed} resumed, ${s.failed} failed\n`,
    );
  };
  try {
    if (opts.once) {
      const r = await runner.runOnce();
      summary(r);
      return r.failed > 0 ? 1 : 0;
    }
    let stop = false;
    let failed = 0;
    process.once("SIGINT", () => (stop = true));
    process.once("SIGTERM", () => (stop = true));
    const intervalMs = Math.max(1, Number(opts.interval ?? 30)) * 1000;
    while (!stop) {
      try {
        failed += (await runner.runOnce()).failed;
      } catch (e) {
        process.stderr.write(`watch: pass failed: ${(e as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await journal.close();
  }
}

export async function operatorCommand(action: OperatorAction, server: string, opts: OpenStackCliOptions & { image?: string; pause?: boolean; wait?: boolean }): Promise<number> {
  const { conn, client } = await connect(opts);
  let journal: ActionJournal | undefined;
  try {
    journal = new FileActionJournal(journalPath(opts, conn));
  } catch (e) {
    // A runner service holds the journal: act anyway (the runner reads the server's state from the cloud).
    if (!(e instanceof ActionJournalError)) throw e;
    process.stderr.write(`note: ${e.message.split(". What to do")[0]}; this ${action} is not journaled there\n`);
  }
  try {
    const { server: s, message } = await operate(client, journal, server, action, { image: opts.image, pause: opts.pause, wait: opts.wait, clock: await cloudClock() });
    process.stdout.write(opts.json ? `${JSON.stringify({ kind: action, serverId: s.id, serverName: s.name, status: s.status, message })}\n` : `${message}\n`);
    return 0;
  } finally {
    await journal?.close();
  }
}
