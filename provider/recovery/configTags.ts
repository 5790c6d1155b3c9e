// The configuration a relaunch needs, recorded in tags on each recovery point (compressed, in chunks of
// one tag value each), so a controller that lost its journal can still recover an instance that is gone
// from its newest point. One encoding for every cloud; the chunk is the cloud's tag value limit
// (Volcengine 256, Alibaba Cloud 128 characters).
import { deflateRawSync, inflateRawSync } from "node:zlib";

const CFG_PREFIX = "pulumi-recovery:cfg.";

/**
 * The config as tags `cfg.1…cfg.N` within `budget` tags of `chunk` characters; `userData` is dropped
 * first when it does not fit.
 */
export function encodeConfigTags<C extends { instanceId: string; userData?: string }>(cfg: C, budget: number, chunk: number): { tags: Record<string, string>; droppedUserData: boolean } {
  for (const candidate of [cfg, { ...cfg, userData: undefined }]) {
    const text = deflateRawSync(Buffer.from(JSON.stringify(candidate))).toString("base64url");
    const chunks = Math.ceil(text.length / chunk);
    if (chunks <= budget) {
      const tags = Object.fromEntries(Array.from({ length: chunks }, (_, i) => [`${CFG_PREFIX}${i + 1}`, text.slice(i * chunk, (i + 1) * chunk)]));
      return { tags, droppedUserData: candidate !== cfg && cfg.userData !== undefined };
    }
  }
  throw new Error(`the instance configuration of ${cfg.instanceId} does not fit in ${budget} tags: fewer user tags would make room`);
}

export function decodeConfigTags<C>(tags: Record<string, string>): C | undefined {
  const parts: string[] = [];
  for (let i = 1; tags[`${CFG_PREFIX}${i}`] !== undefined; i++) parts.push(tags[`${CFG_PREFIX}${i}`]);
  if (!parts.length) return undefined;
  try {
    return JSON.parse(inflateRawSync(Buffer.from(parts.join(""), "base64url")).toString("utf8")) as C;
  } catch {
    return undefined;
  }
}
