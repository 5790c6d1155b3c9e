// Where a relaunch goes: the instance's own placement first, then the policy's fallbacks in order;
// placements known to have had no stock lately go last (the knowledge may be stale: they are still tried
// before giving up). Written once for every cloud: each passes how it launches and how it recognises
// "no stock".
import { HomeRegionCannot, type RelaunchOptions } from "./cloud";
import type { Placement } from "./policy";

export async function tryPlacements<T>(
  home: Placement,
  o: Pick<RelaunchOptions, "fallbacks" | "exhausted" | "markExhausted">,
  launchAt: (p: Placement) => Promise<T>,
  stockOutCode: (err: unknown) => string | undefined,
): Promise<{ result: T; placement?: Placement; note?: string }> {
  const candidates = [home, ...o.fallbacks.map((f) => ({ ...f, instanceTypeId: f.instanceTypeId ?? home.instanceTypeId }))];
  const order = [...candidates.filter((p) => !o.exhausted(p)), ...candidates.filter((p) => o.exhausted(p))];
  const notes: string[] = [];
  for (const placement of order) {
    try {
      const result = await launchAt(placement);
      const moved = placement !== home;
      return { result, ...(moved || notes.length ? { placement, note: [...notes, moved ? `relaunched in ${placement.zoneId} (${placement.instanceTypeId})` : "relaunched in its own zone"].join("; ") } : {}) };
    } catch (err) {
      const code = stockOutCode(err);
      if (code === undefined) throw err;
      notes.push(`${placement.zoneId} (${placement.instanceTypeId}) had no stock: ${code}`);
      o.markExhausted(placement, code);
    }
  }
  throw new HomeRegionCannot(`no placement had stock: ${notes.join("; ")}; declare recovery.fallbacks in other zones or instance types`);
}
