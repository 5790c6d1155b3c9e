// Volume details live in the storage_ebs service, not in DescribeInstances (whose Volumes[] carry only
// VolumeId): DescribeVolumes, paged by PageNumber/PageSize ≤ 100 (volcengine-go-sdk
// service/storageebs api_describe_volumes.go).
import type { VolcengineClient } from "./client";

/** RunInstances Volumes.N.VolumeType: the documented types (docs 6396/76275; PTSSD per docs 6396/132240). */
export const VOLUME_TYPES = ["ESSD_PL0", "ESSD_FlexPL", "PTSSD"] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

/** VolumeForDescribeVolumesOutput (Size is a string in the model). */
export interface Volume {
  VolumeId: string;
  Kind: "system" | "data";
  VolumeType: string;
  Size: string | number;
  DeleteWithInstance?: boolean;
  InstanceId?: string;
  ZoneId?: string;
  Status?: string;
  CreatedAt?: string;
  /** The automatic snapshot policy applied to the volume, one at most (VolumeForDescribeVolumesOutput). */
  AutoSnapshotPolicyId?: string;
}

const PAGE = 100;

/** Every volume of an instance: the system volume first, then data volumes in the order they were attached. */
export async function volumesOf(client: VolcengineClient, instanceId: string): Promise<Volume[]> {
  const out: Volume[] = [];
  for (let page = 1; ; page++) {
    const res = await client.ebs<{ Volumes?: Volume[]; TotalCount?: number }>("DescribeVolumes", { InstanceId: instanceId, PageNumber: page, PageSize: PAGE });
    const got = res.Volumes ?? [];
    out.push(...got);
    if (got.length < PAGE || out.length >= (res.TotalCount ?? 0)) break;
  }
  // The API documents no device order; creation time is the order RunInstances attached them in.
  return out.sort((a, b) => (a.Kind === b.Kind ? (a.CreatedAt ?? "").localeCompare(b.CreatedAt ?? "") || a.VolumeId.localeCompare(b.VolumeId) : a.Kind === "system" ? -1 : 1));
}

export const sizeOf = (v: Pick<Volume, "Size">): number => Number(v.Size);
