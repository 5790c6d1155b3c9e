#!/usr/bin/env node
// pulumi-recovery: the package's command line. A thin dispatcher; each command lives in its own module.
import { Command } from "commander";

const { version } = require("../../package.json") as { version: string };

const CREDENTIALS_HELP = `
Credentials and region come from the same places as the providers', first match wins:
  --stack NAME [--cwd DIR]   the stack's config (volcengine:region, volcengine:accessKey,
                             volcengine:secretKey, volcengine:endpoint; alicloud:… likewise),
                             read with the Pulumi CLI, secrets decrypted
  environment                VOLCENGINE_REGION, VOLCENGINE_ACCESS_KEY, VOLCENGINE_SECRET_KEY,
                             VOLCENGINE_ENDPOINT (ALIBABA_CLOUD_* for Alibaba Cloud)
OpenStack (--cloud openstack, and the rescue/unrescue/suspend/resume commands):
  --stack NAME               openstack:authUrl, openstack:userName, openstack:password, openstack:tenantName,
                             openstack:userDomainName, openstack:projectDomainName, openstack:region,
                             openstack:applicationCredentialId/Secret (@pulumi/openstack's names)
  --os-cloud NAME / OS_CLOUD a clouds.yaml entry (./, ~/.config/openstack/, /etc/openstack/)
  environment                OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME,
                             OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME, OS_INTERFACE, OS_APPLICATION_CREDENTIAL_*
Credentials are never printed, logged or written to the journal.`;

const program = new Command()
  .name("pulumi-recovery")
  .version(version, "-V, --version")
  .description("Recovery and snapshot policies as code: the recovery controller, drills, and the local cloud emulator");

program
  .command("emulator")
  .description("run the local cloud emulator (Volcengine ECS, Alibaba Cloud ECS/RAM/Cloud Assistant) and print the env lines that point the SDKs at it")
  .option("--port <n>", "port on 127.0.0.1 (0 = any free port)", "0")
  .option("--time-scale <x>", "emulated seconds per real second", "1")
  .option("--admin-token <token>", "the admin API's token (default: a fresh random one, printed as PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN)")
  .action(async (o: { port: string; timeScale: string; adminToken?: string }) => {
    const { startEmulator, envFor } = await import("../emulator");
    const emu = await startEmulator({ port: Number(o.port), timeScale: Number(o.timeScale), adminToken: o.adminToken });
    process.stdout.write(
      `# pulumi-recovery emulator at ${emu.url} (time scale ${emu.clock.timeScale}x); admin API at ${emu.url}/_admin/… ` +
        `(loopback only, JSON, header "Authorization: Bearer $PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN")\n`,
    );
    for (const [k, v] of Object.entries(envFor(emu))) process.stdout.write(`export ${k}=${v}\n`);
    const stop = () => void emu.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

const CLOUD_HELP = "clouds, comma-separated, each optionally cloud:region: volcengine, alicloud, openstack (default: Volcengine and Alibaba Cloud where their region and keys are configured; OpenStack only when named)";

program
  .command("watch")
  .description("run the controller: spot recovery (volcengine, alicloud), snapshot policy pruning (alicloud), server backups, recovery and suspend schedules (openstack)")
  .option("--cloud <clouds>", CLOUD_HELP)
  .option("--os-cloud <name>", "OpenStack: the clouds.yaml entry (default: openstack:cloud or OS_CLOUD)")
  .option("--region <r>", "region of the one cloud (--cloud; without it Volcengine) (default: stack config <cloud>:region, or the environment)")
  .option("--endpoint <url>", "API endpoint of the one cloud (Volcengine's, or Alibaba's ECS endpoint; default: stack config / environment, or the public one)")
  .option("--stack <name>", "read connection settings from this stack's config (needs the Pulumi CLI)")
  .option("--cwd <dir>", "the Pulumi project directory of --stack", ".")
  .option("--once", "one pass that carries every recovery it finds to its end, then exit (for scheduled jobs)")
  .option("--json", "one JSON object per line")
  .option("--interval <seconds>", "seconds between passes", "30")
  .option("--journal <path>", "the file journal (default .pulumi-recovery/journal-<cloud>-<region>.json; with several clouds, one file each named after it)")
  .option("--store <url>", "a postgres://… journal that replicas share (default: $PULUMI_RECOVERY_STORE, else the file journal)")
  .option("--owner <name>", "this replica's name in claims (default: hostname-pid)")
  .option("--lease <seconds>", "how long a claim holds without renewal; a dead replica's recoveries are taken over after it", "30")
  .addHelpText("after", CREDENTIALS_HELP)
  .action(async (o) => {
    const { watch } = await import("./watch");
    process.exitCode = await watch(o);
  });

for (const [action, description] of [
  ["rescue", "OpenStack: boot a server from a rescue image with its own disk attached as the second disk, for repair"],
  ["unrescue", "OpenStack: end a rescue: the server boots from its own disk again"],
  ["suspend", "OpenStack: suspend a server (memory written to disk, stopped), or pause it with --pause (state kept in RAM, frozen)"],
  ["resume", "OpenStack: resume a suspended server, or unpause a paused one"],
] as const) {
  const cmd = program
    .command(`${action} <server>`)
    .description(`${description}; <server> is an id or a unique name; journaled with the runner's journal`)
    .option("--stack <name>", "read connection settings from this stack's config (needs the Pulumi CLI)")
    .option("--cwd <dir>", "the Pulumi project directory of --stack", ".")
    .option("--os-cloud <name>", "the clouds.yaml entry (default: openstack:cloud or OS_CLOUD)")
    .option("--region <r>", "the catalog region (default: openstack:region or OS_REGION_NAME)")
    .option("--journal <path>", "the runner's journal (default .pulumi-recovery/journal-openstack-<host>-<region>.json)")
    .option("--no-wait", "return once Nova accepted the action")
    .option("--json", "one JSON object");
  if (action === "rescue") cmd.option("--image <id>", "the rescue image (default: the server's recovery policy's, else Nova's default)");
  if (action === "suspend") cmd.option("--pause", "pause instead: the state stays in RAM, unpausing is immediate");
  cmd.addHelpText("after", CREDENTIALS_HELP).action(async (server: string, o) => {
    const { operatorCommand } = await import("./openstack");
    process.exitCode = await operatorCommand(action, server, o);
  });
}

program
  .command("serve")
  .description("run the controller as a service: every target's jobs on a poll, Cloud Monitor webhooks for spot recovery (/webhooks/volcengine/…, /webhooks/alicloud/…), /healthz /readyz /metrics, JSON logs")
  .option("--config <file>", "YAML or JSON configuration (see the README: listen, webhookSecret(File), pollInterval, store, targets, stack, log)")
  .option("--listen <host:port>", "the HTTP endpoint (default 127.0.0.1:9464)")
  .option("--cloud <clouds>", "targets instead of those in the file: " + CLOUD_HELP)
  .option("--region <r>", "region of the one cloud (--cloud; without it Volcengine), instead of targets in the file")
  .option("--endpoint <url>", "API endpoint of the one cloud (default: the public one)")
  .option("--poll-interval <duration>", 'the safety-net poll (default "60s")')
  .option("--store <path|postgres://…>", "the journal (default .pulumi-recovery/journal-<cloud>-<region>.json)")
  .option("--owner <name>", "this replica's name in a shared store (default hostname-pid)")
  .option("--lease <seconds>", "a claim's lease in a shared store (default 30)")
  .option("--stack <name>", "read connection settings from this stack's config (needs the Pulumi CLI)")
  .option("--cwd <dir>", "the Pulumi project directory of --stack", ".")
  .option("--webhook-secret-file <file>", "the webhook secret (or PULUMI_RECOVERY_WEBHOOK_SECRET); webhooks are off without one")
  .option("--log-format <json|human>", "JSON lines (default) or human-readable")
  .addHelpText("after", CREDENTIALS_HELP)
  .action(async (o) => {
    const { serve } = await import("./serve");
    process.exitCode = await serve(o);
  });

program
  .command("drill")
  .description("the drill on the local emulator: a whole spot recovery on each cloud (interruption, recovery point, relaunch, data check, cleanup), snapshot policies, then an OpenStack rescue and backup rotation")
  .option("--json", "print one JSON summary as the last line")
  .option("--time-scale <x>", "emulated seconds per real second", "60")
  .option("--stepped", "a frozen clock moved per request instead of the scaled one (what the tests use)")
  .action(async (o: { json?: boolean; timeScale: string; stepped?: boolean }) => {
    const { drill } = await import("./drill");
    process.exitCode = await drill({ json: o.json, timeScale: Number(o.timeScale), stepped: o.stepped });
  });

program
  .command("demo-policies")
  .description("snapshot and image policies for a day and a half on the emulator's scaled clock: an auto snapshot policy with retention, recovery points copied to a second region, a scheduled recovery image; pruning checked")
  .option("--json", "print one JSON summary as the last line")
  .option("--time-scale <x>", "emulated seconds per real second", "7200")
  .option("--hours <n>", "emulated hours to run", "36")
  .option("--stepped", "a frozen clock moved per request and per pass instead of the scaled one (what the tests use)")
  .action(async (o: { json?: boolean; timeScale: string; hours: string; stepped?: boolean }) => {
    const { policiesDemo } = await import("./policiesDemo");
    process.exitCode = await policiesDemo({ json: o.json, timeScale: Number(o.timeScale), hours: Number(o.hours), stepped: o.stepped });
  });

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`pulumi-recovery: ${e.message}\n`);
  process.exitCode = 2;
});
