// The instance metadata service as a guest sees it (http://100.100.100.200 on a real instance), for the
// one path spot recovery needs. API notes, "Spot (preemptible) instances":
// - `GET /latest/meta-data/instance/spot/termination-time` answers 404 while the instance is safe, else
//   the UTC release time;
// - hardened mode: `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` first, then the
//   token in `X-aliyun-ecs-metadata-token` (RunInstances HttpTokens `required` makes it mandatory).
// The emulator serves every instance from one address, so a request names its instance in the
// `x-emulator-instance-id` header (the emulator's own, not Alibaba's). The answer to a missing or expired
// token in hardened mode is not documented: 401, as AWS IMDSv2 answers.
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import type { EmulatorRequest, EmulatorResponse } from "../service";
import type { EcsModel } from "./ecs/model";

export const METADATA_PATHS = { token: "/latest/api/token", termination: "/latest/meta-data/instance/spot/termination-time" } as const;
export const INSTANCE_HEADER = "x-emulator-instance-id";
const TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER = "x-aliyun-ecs-metadata-token";
/** The documented TTL range of a metadata token (1 second to 6 hours). */
const MAX_TTL_SECONDS = 21_600;

export const isMetadataRequest = (req: EmulatorRequest) => req.path === METADATA_PATHS.token || req.path.startsWith("/latest/meta-data/");

const text = (status: number, body: string): EmulatorResponse => ({ status, text: body });

export class MetadataService {
  private readonly tokens = new Map<string, { instanceId: string; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ecs: EcsModel,
  ) {}

  reset(): void {
    this.tokens.clear();
  }

  answer(req: EmulatorRequest): EmulatorResponse {
    const instanceId = String(req.headers[INSTANCE_HEADER] ?? "");
    const inst = instanceId ? this.ecs.instances.get(instanceId) : undefined;
    if (!inst) return text(400, `the emulator serves metadata per instance: name it in the ${INSTANCE_HEADER} header (an existing instance id)`);
    if (req.path === METADATA_PATHS.token) {
      if (req.method !== "PUT") return text(405, "Method Not Allowed");
      const ttl = Number(req.headers[TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) return text(400, `${TTL_HEADER} must be 1-${MAX_TTL_SECONDS}`);
      const token = randomBytes(24).toString("base64url");
      this.tokens.set(token, { instanceId, expiresAt: this.clock.now() + ttl * 1000 });
      return text(200, token);
    }
    if (req.method !== "GET") return text(405, "Method Not Allowed");
    const given = req.headers[TOKEN_HEADER];
    if (given !== undefined || inst.HttpTokens === "required") {
      const t = this.tokens.get(String(given ?? ""));
      if (!t || t.instanceId !== instanceId || t.expiresAt <= this.clock.now()) return text(401, "Unauthorized");
    }
    if (req.path !== METADATA_PATHS.termination) return text(404, "Not Found");
    if (!inst.recycling) return text(404, "Not Found");
    return text(200, new Date(inst.recycling.releaseAt).toISOString().replace(/\.\d{3}Z$/, "Z"));
  }
}
