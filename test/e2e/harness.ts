// Runs the real Pulumi CLI in a project directory as a user does: a local file backend, a passphrase
// secrets provider, update checks off, PULUMI_HOME in a temp dir (nothing global is touched).
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
const localBin = path.join(repoRoot, "tools", "pulumi-cli", "bin");

/** The directory holding `pulumi` and the Node language host, or a reason the suite must skip. */
export function findCli(): { bin: string } | { skip: string } {
  if (existsSync(path.join(localBin, "pulumi")) && existsSync(path.join(localBin, "pulumi-language-nodejs"))) return { bin: localBin };
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, "pulumi")) && existsSync(path.join(dir, "pulumi-language-nodejs"))) return { bin: dir };
  }
  return {
    skip:
      "no Pulumi CLI with the Node language host: run `npm run setup:pulumi` (needs Go) or install the Pulumi CLI (https://www.pulumi.com/docs/install/) so that `pulumi` and `pulumi-language-nodejs` are on PATH",
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class PulumiProject {
  readonly dir: string;
  readonly backend: string;
  readonly home: string;
  /** Everything the CLI printed, for "no secret in the output" checks. */
  readonly transcript: string[] = [];

  /** Copies `example` into a scratch folder under the repo (so the package resolves from node_modules). */
  constructor(
    readonly bin: string,
    example: string,
    private readonly env: Record<string, string | undefined> = {},
  ) {
    const scratch = path.join(repoRoot, ".pulumi-test");
    mkdirSync(scratch, { recursive: true });
    this.dir = mkdtempSync(path.join(scratch, `${path.basename(example)}-`));
    cpSync(path.join(repoRoot, example), this.dir, { recursive: true, filter: (src) => !/node_modules|Pulumi\.[^/]+\.yaml$/.test(src) });
    this.backend = mkdtempSync(path.join(tmpdir(), "pulumi-backend-"));
    this.home = mkdtempSync(path.join(tmpdir(), "pulumi-home-"));
  }

  run(args: string[], opts: { timeoutMs?: number; allowFailure?: boolean } = {}): Promise<RunResult> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: `${this.bin}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: this.home,
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      NO_COLOR: "1",
      ...this.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    return new Promise((resolve, reject) => {
      execFile(
        path.join(this.bin, "pulumi"),
        [...args, "--non-interactive"],
        { cwd: this.dir, env: env as NodeJS.ProcessEnv, timeout: opts.timeoutMs ?? 240_000, maxBuffer: 32 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as any).code === "number" ? (err as any).code : 1) : 0;
          this.transcript.push(`${stdout}\n${stderr}`); // not the arguments: they carry the secrets being set
          if (code !== 0 && !opts.allowFailure) reject(new Error(`pulumi ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
          else resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async outputs(): Promise<Record<string, any>> {
    return JSON.parse((await this.run(["stack", "output", "--json"])).stdout);
  }

  /** Every file the backend wrote (checkpoints, history, backups), concatenated. */
  backendText(): string {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(readFileSync(p, "utf8"));
      }
    };
    walk(this.backend);
    return out.join("\n");
  }

  cleanup(): void {
    for (const d of [this.dir, this.backend, this.home]) rmSync(d, { recursive: true, force: true });
  }
}
