// Prometheus metrics for the controller service (prom-client): interruptions seen, recoveries by outcome,
// step durations, the margin left before the release at the end, API calls and retries by action,
// webhooks by result, passes. One registry per service (tests start several).
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RecoveryEvent } from "../provider/recovery/controller";

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly interruptions = new Counter({ name: "pulumi_recovery_interruptions_total", help: "Spot interruptions noticed, by how they arrived (push or poll)", labelNames: ["cloud", "region", "source"], registers: [this.registry] });
  readonly recoveries = new Counter({ name: "pulumi_recovery_recoveries_total", help: "Recoveries ended, by outcome (done, failed)", labelNames: ["cloud", "region", "outcome"], registers: [this.registry] });
  readonly stepSeconds = new Histogram({ name: "pulumi_recovery_step_duration_seconds", help: "Recovery step durations on the cloud's clock", labelNames: ["cloud", "step"], buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800], registers: [this.registry] });
  readonly marginSeconds = new Histogram({ name: "pulumi_recovery_release_margin_seconds", help: "Seconds left before the release when a recovery's last step ended (negative: after it)", labelNames: ["cloud"], buckets: [-300, -60, 0, 30, 60, 120, 180, 240, 300], registers: [this.registry] });
  readonly retries = new Counter({ name: "pulumi_recovery_step_retries_total", help: "Recovery steps that failed and were scheduled again", labelNames: ["cloud", "step"], registers: [this.registry] });
  readonly apiCalls = new Counter({ name: "pulumi_recovery_api_calls_total", help: "Cloud API calls, by action and outcome", labelNames: ["cloud", "service", "action", "outcome"], registers: [this.registry] });
  readonly apiRetries = new Counter({ name: "pulumi_recovery_api_retries_total", help: "Cloud API calls retried by the retry strategy, by action and kind", labelNames: ["cloud", "action", "class"], registers: [this.registry] });
  readonly webhooks = new Counter({ name: "pulumi_recovery_webhooks_total", help: "Webhook deliveries received, by result", labelNames: ["cloud", "result"], registers: [this.registry] });
  readonly passes = new Counter({ name: "pulumi_recovery_passes_total", help: "Controller passes, by result", labelNames: ["cloud", "region", "result"], registers: [this.registry] });
  readonly lastPass = new Gauge({ name: "pulumi_recovery_last_pass_timestamp_seconds", help: "When the last successful pass ended", labelNames: ["cloud", "region"], registers: [this.registry] });

  /** Counts what the controller reports. */
  observe(cloud: string, region: string, e: RecoveryEvent): void {
    if (e.kind === "noticed") this.interruptions.inc({ cloud, region, source: e.source ?? "poll" });
    if (e.kind === "found") this.interruptions.inc({ cloud, region, source: "lost-journal" });
    if (e.kind === "step" && e.step && e.ms !== undefined) this.stepSeconds.observe({ cloud, step: e.step }, e.ms / 1000);
    // prune is every recovery's last step: its margin is what was left at the end.
    if (e.kind === "step" && e.step === "prune" && e.marginMs !== undefined) this.marginSeconds.observe({ cloud }, e.marginMs / 1000);
    if (e.kind === "retry" && e.step) this.retries.inc({ cloud, step: e.step });
    if (e.kind === "done" || e.kind === "failed") this.recoveries.inc({ cloud, region, outcome: e.kind });
  }
}
