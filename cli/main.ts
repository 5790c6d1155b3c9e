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

const CLOUD_HELP = "clouds to protect, comma-separated, each optionally cloud:region: volcengine, alicloud (default: every cloud whose region and keys are configured)";

program
  .command("watch")
  .description("run the spot recovery controller for the protected instances of a region, on each cloud given")
  .option("--cloud <clouds>", CLOUD_HELP)
  .option("--region <r>", "region of the one cloud (--cloud; without it Volcengine) (default: stack config <cloud>:region, or the environment)")
  .option("--endpoint <url>", "API endpoint of the one cloud (default: stack config / environment, or the public one)")
  .option("--stack <name>", "read connection settings from this stack's config (needs the Pulumi CLI)")
  .option("--cwd <dir>", "the Pulumi project directory of --stack", ".")
  .option("--once", "one pass that carries every recovery it finds to its end, then exit (for scheduled jobs)")
  .option("--json", "one JSON object per line")
  .option("--interval <seconds>", "seconds between passes", "30")
  .option("--journal <path>", "the durable journal (default .pulumi-recovery/journal-<cloud>-<region>.json; with several clouds, one file each named after it)")
  .addHelpText("after", CREDENTIALS_HELP)
  .action(async (o) => {
    const { watch } = await import("./watch");
    process.exitCode = await watch(o);
  });

program
  .command("serve")
  .description("run the recovery controller as a service: Cloud Monitor webhooks (/webhooks/volcengine/…, /webhooks/alicloud/…), a safety-net poll, /healthz /readyz /metrics, JSON logs")
  .option("--config <file>", "YAML or JSON configuration (see the README: listen, webhookSecret(File), pollInterval, store, targets, stack, log)")
  .option("--listen <host:port>", "the HTTP endpoint (default 127.0.0.1:9464)")
  .option("--cloud <clouds>", "clouds to protect instead of the targets in the file, comma-separated, each optionally cloud:region: volcengine, alicloud")
  .option("--region <r>", "region of the one cloud (--cloud; without it Volcengine), instead of targets in the file")
  .option("--endpoint <url>", "API endpoint of the one cloud (default: the public one)")
  .option("--poll-interval <duration>", 'the safety-net poll (default "60s")')
  .option("--store <path|postgres://…>", "the journal (default .pulumi-recovery/journal-<cloud>-<region>.json)")
  .option("--owner <name>", "this replica's name in a shared store (default hostname-pid)")
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
  .description("a whole spot recovery on the local emulator, on each cloud: interruption, recovery point, relaunch, data check, cleanup")
  .option("--json", "print one JSON summary as the last line")
  .option("--time-scale <x>", "emulated seconds per real second", "60")
  .action(async (o: { json?: boolean; timeScale: string }) => {
    const { drill } = await import("./drill");
    process.exitCode = await drill({ json: o.json, timeScale: Number(o.timeScale) });
  });

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`pulumi-recovery: ${e.message}\n`);
  process.exitCode = 2;
});
