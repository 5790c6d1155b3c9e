// `pulumi-recovery serve` configuration: a YAML or JSON file and flags (flags win), validated at start
// with the same messages as the resources' inputs (core/check): an unknown key suggests the right one,
// no value is ever echoed (a secret may be one).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { assertValid, checkInputs, duration } from "../provider/core/check";
import { parseDuration } from "../provider/core/waiter";
import { parseClouds } from "./clouds";
import { CLOUDS } from "./jobs";

const HOST_PORT = /^(\[[0-9a-f:]+\]|[\w.-]+):(\d{1,5})$/i;

export const serveConfigSchema = z
  .object({
    /** host:port of the HTTP endpoint (webhooks, /healthz, /readyz, /metrics). */
    listen: z.string().regex(HOST_PORT, 'listen must be host:port, e.g. "0.0.0.0:9464"').default("127.0.0.1:9464"),
    /** The shared secret webhooks must carry (as the last path segment or a Bearer token); at least 16 characters. */
    webhookSecret: z.string().min(16, "webhookSecret must be at least 16 characters (generate one: openssl rand -hex 24)").optional(),
    /** A file holding the webhook secret (read once at start). */
    webhookSecretFile: z.string().min(1).optional(),
    /** The safety-net poll of DescribeSystemEvents (webhooks are the fast path). */
    pollInterval: duration("pollInterval", { min: "5s" }).default("60s"),
    /** The journal: a path (file) or postgres://… (replicas). */
    store: z.string().min(1).optional(),
    /** A claim's lease in a shared store, renewed every third of it; a dead replica's recoveries wait this long. */
    leaseSeconds: z.number().int("leaseSeconds is a whole number").min(3, "leaseSeconds is at least 3 (claims are renewed every third of it)").max(240, "leaseSeconds is at most 240 (a dead replica's recoveries wait this long out of a 300 s notice)").default(30),
    /** This replica's name in a shared store. */
    owner: z.string().regex(/^[\w.@:-]{1,64}$/, "owner takes 1-64 letters, digits and _ . @ : -").optional(),
    /** The clouds and regions to protect; each runs its cloud's jobs (cli/jobs.ts) on every poll. */
    targets: z
      .array(
        z
          .object({
            cloud: z.enum(CLOUDS, { message: `targets[].cloud must be one of ${CLOUDS.join(", ")}` }),
            /** The region (OpenStack: the catalog region; optional there). */
            region: z.string().regex(/^[\w-]+$/, 'targets[].region must be a region name such as "cn-beijing"').optional(),
            /** The API endpoint (Volcengine's, or Alibaba's ECS endpoint); absent = the public one. */
            endpoint: z.string().url("targets[].endpoint must be a URL").optional(),
            /** OpenStack: the clouds.yaml entry (else openstack:cloud / OS_CLOUD). */
            osCloud: z.string().min(1).optional(),
            /** The file journal of this target's jobs (default .pulumi-recovery/journal-<cloud>-<region>.json); spot recovery uses `store` when it is a postgres:// URL. */
            journal: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1, "targets needs at least one cloud and region to protect"),
    /** Read credentials from this Pulumi stack's config (the same names the providers read). */
    stack: z.object({ name: z.string().min(1), cwd: z.string().min(1).default(".") }).strict().optional(),
    log: z
      .object({ format: z.enum(["json", "human"], { message: 'log.format is "json" or "human"' }).default("json"), level: z.enum(["debug", "info", "warn", "error"]).default("info") })
      .strict()
      .default({ format: "json", level: "info" }),
    /** How long a shutdown waits for in-flight recovery steps before it stops them (they stay journaled). */
    drainSeconds: z.number().int().min(0).max(600).default(30),
  })
  .strict();

export type ServeConfig = z.infer<typeof serveConfigSchema> & { pollIntervalMs: number; secret?: string };

export interface ServeFlags {
  config?: string;
  listen?: string;
  cloud?: string;
  region?: string;
  endpoint?: string;
  pollInterval?: string;
  store?: string;
  owner?: string;
  lease?: string;
  stack?: string;
  cwd?: string;
  logFormat?: string;
  webhookSecretFile?: string;
}

/** The file (YAML or JSON), then flags over it, then the environment's secret; all checked before anything starts. */
export function loadServeConfig(flags: ServeFlags, env = process.env): ServeConfig {
  let raw: Record<string, any> = {};
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, "utf8");
    } catch (e) {
      throw new Error(`serve: cannot read the config file ${flags.config}: ${(e as Error).message}`);
    }
    const { parse } = require("yaml") as typeof import("yaml");
    try {
      raw = parse(text) ?? {};
    } catch (e) {
      throw new Error(`serve: the config file ${flags.config} is not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}`);
    }
    if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`serve: the config file ${flags.config} must hold an object`);
  }
  const merged: Record<string, any> = { ...raw };
  if (flags.listen) merged.listen = flags.listen;
  if (flags.pollInterval) merged.pollInterval = /^\d+$/.test(flags.pollInterval) ? `${flags.pollInterval}s` : flags.pollInterval;
  if (flags.store) merged.store = flags.store;
  if (flags.owner) merged.owner = flags.owner;
  if (flags.lease) merged.leaseSeconds = Number(flags.lease);
  if (flags.webhookSecretFile) merged.webhookSecretFile = flags.webhookSecretFile;
  if (flags.stack) merged.stack = { name: flags.stack, cwd: flags.cwd ?? "." };
  if (flags.logFormat) merged.log = { ...(merged.log ?? {}), format: flags.logFormat };
  // Flags name the targets as `watch` does (cli/clouds.ts): --cloud, and --region/--endpoint for one cloud
  // (Volcengine without --cloud); without any, Volcengine and Alibaba Cloud where the environment names
  // their region (OpenStack only when named).
  if (flags.cloud || flags.region) {
    const specs = flags.cloud ? parseClouds(flags.cloud) : [{ cloud: "volcengine" as const }];
    if ((flags.region || flags.endpoint) && specs.length !== 1) throw new Error("serve: --region and --endpoint apply to one cloud: with several, write cloud:region in --cloud");
    const regionOf = (c: string, r?: string) => r ?? flags.region ?? (c === "alicloud" ? (env.ALIBABA_CLOUD_REGION ?? env.ALICLOUD_REGION) : c === "volcengine" ? env.VOLCENGINE_REGION : undefined);
    merged.targets = specs.map((t) => ({ cloud: t.cloud, ...(regionOf(t.cloud, t.region) ? { region: regionOf(t.cloud, t.region) } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) }));
  }
  if (!merged.targets) {
    const fromEnv = [
      ...(env.VOLCENGINE_REGION ? [{ cloud: "volcengine", region: env.VOLCENGINE_REGION }] : []),
      ...(env.ALIBABA_CLOUD_REGION || env.ALICLOUD_REGION ? [{ cloud: "alicloud", region: env.ALIBABA_CLOUD_REGION ?? env.ALICLOUD_REGION }] : []),
    ];
    if (fromEnv.length) merged.targets = fromEnv;
  }
  const { inputs, failures } = checkInputs(serveConfigSchema, merged);
  assertValid(`serve${flags.config ? ` (${flags.config})` : ""}`, failures);
  const cfg = serveConfigSchema.parse(inputs);
  let secret = cfg.webhookSecret ?? env.PULUMI_RECOVERY_WEBHOOK_SECRET;
  if (cfg.webhookSecretFile) {
    try {
      secret = readFileSync(cfg.webhookSecretFile, "utf8").trim();
    } catch (e) {
      throw new Error(`serve: cannot read webhookSecretFile ${cfg.webhookSecretFile}: ${(e as Error).message}`);
    }
  }
  if (secret !== undefined && secret.length < 16) throw new Error("serve: the webhook secret must be at least 16 characters (generate one: openssl rand -hex 24)");
  return { ...cfg, pollIntervalMs: parseDuration(cfg.pollInterval)!, secret };
}
