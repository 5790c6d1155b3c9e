// The OpenStack operator commands `rescue|unrescue|suspend|resume <server>`, on the same connection
// settings as the providers (stack config `openstack:*` with --stack, a clouds.yaml cloud with --os-cloud
// or OS_CLOUD, the OS_* variables) and the OpenStack runner's journal (cli/jobs.ts).
import path from "node:path";
import { openstackConnection, type ConfigSource } from "../provider/config";
import { OpenStackClient } from "../provider/openstack/client";
import { ActionJournalError, FileActionJournal, type ActionJournal } from "../provider/openstack/journal";
import { operate, type OperatorAction } from "../provider/openstack/operator";
import { cloudClock, stackConfig } from "./context";
import { openstackJournalPath } from "./jobs";

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

export async function operatorCommand(action: OperatorAction, server: string, opts: OpenStackCliOptions & { image?: string; pause?: boolean; wait?: boolean }): Promise<number> {
  const { conn, client } = await connect(opts);
  let journal: ActionJournal | undefined;
  try {
    journal = new FileActionJournal((opts.journal ?? openstackJournalPath(conn)));
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
