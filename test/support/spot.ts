// What the controller suites share: a protected SpotInstance made through the provider (as `pulumi up`
// would), and the cloud's clock as a controller sees it on a frozen emulator (a sleep passes that much
// emulated time).
import type { Clock } from "../../provider/core/clock";
import { spotInstanceProvider } from "../../provider";

export function steppedClock(emu: { clock: { now(): number; advance(ms: number): void } }): Clock {
  return { now: () => emu.clock.now(), sleep: async (ms) => emu.clock.advance(ms) };
}

/** A spot instance in `zone` (a, b or c of cn-beijing) protected by image-and-relaunch, keeping 2 points. */
export async function protectedSpotInstance(name: string, o: { zone?: "a" | "b" | "c"; imageId?: string; identity?: string } = {}) {
  const zone = o.zone ?? "b";
  const { inputs, failures } = await spotInstanceProvider.check!({}, {
    zoneId: `cn-beijing-${zone}`,
    imageId: o.imageId ?? "image-debian12-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: `subnet-emu-cn-beijing-${zone}`,
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
    ...(o.identity ? { __identity: o.identity } : {}),
  });
  if (failures?.length) throw new Error(`check failed: ${JSON.stringify(failures)}`);
  return spotInstanceProvider.create(inputs!);
}
