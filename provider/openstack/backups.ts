// One backup per schedule slot, made through the one create-token rule (core/tokens.ts). Nova's
// createBackup takes no ClientToken, so the rule's "look first" is a Glance query: the server's backups
// carrying the slot's token as an image property (createBackup `metadata` becomes image properties: nova
// compute/api.py backup → _create_image extra_properties). Two runners at once are also held apart by
// Nova itself: createBackup needs task_state None and sets image_backup atomically (nova compute/api.py
// backup: instance.save(expected_task_state=[None])), so the second one's call is a 409 — it then looks
// again and adopts the first one's backup. Should both still succeed (the second looked before the first
// called, and called after the first upload ended), findOrCreate's converge step keeps the oldest and
// deletes the other.
import { createToken, findOrCreate, type Made } from "../core/tokens";
import type { OpenStackClient } from "./client";
import { deleteImage, listBackups, type Image } from "./images";
import { IMAGE_PROPS, type BackupPolicy } from "./policy";
import { slotStamp } from "./schedule";
import { isConflict, serverAction } from "./servers";

/** The token of one slot's backup: the same server, type and slot always derive the same token. */
export function backupToken(serverId: string, backupType: string, slot: number): string {
  return createToken("openstack:ServerBackup", `${serverId}/${backupType}`, String(slot), {});
}

/** The backup's image name: prefix, type and the slot (UTC minutes), e.g. web-daily-20260101T0200Z. */
export function backupName(p: Pick<BackupPolicy, "prefix" | "type">, slot: number): string {
  return `${p.prefix}-${p.type}-${slotStamp(slot)}`;
}

/** The server is busy with another task (a backup of another type, an action): try again next pass. */
export class ServerBusyError extends Error {
  constructor(
    readonly serverId: string,
    detail: string,
  ) {
    super(`server ${serverId} is busy (${detail}); the backup is due again on the next pass`);
    this.name = "ServerBusyError";
  }
}

const made = (images: Image[]): Made[] => images.map((i) => ({ id: i.id, createdAt: i.created_at }));

/** The backups we made of a server, of one type (those carrying our token property), newest first. */
export async function ourBackups(client: OpenStackClient, serverId: string, backupType?: string): Promise<Image[]> {
  return (await listBackups(client, serverId, { backupType })).filter((i) => typeof i[IMAGE_PROPS.token] === "string");
}

export interface SlotBackup {
  imageId: string;
  name: string;
  token: string;
  /** Found (made by an earlier pass, another runner, or before a lost answer) rather than made now. */
  adopted: boolean;
  /** Duplicates of racing runners, deleted. */
  discarded: string[];
}

/** Makes (or finds) the backup of `slot`. Throws ServerBusyError when Nova refuses it for a running task. */
export async function backupForSlot(client: OpenStackClient, serverId: string, policy: BackupPolicy, slot: number): Promise<SlotBackup> {
  const token = backupToken(serverId, policy.type, slot);
  const name = backupName(policy, slot);
  let tookOver = false;
  const find = async () => made(await listBackups(client, serverId, { backupType: policy.type, extra: { [IMAGE_PROPS.token]: token } }));
  const res = await findOrCreate({
    what: `backup ${name} of server ${serverId}`,
    token,
    find,
    create: async () => {
      try {
        const body = await serverAction<{ image_id: string }>(client, serverId, {
          createBackup: { name, backup_type: policy.type, rotation: policy.rotation, metadata: { [IMAGE_PROPS.token]: token, [IMAGE_PROPS.slot]: new Date(slot).toISOString() } },
        });
        return body.image_id;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Another runner's backup of this slot may be the task in the way.
        const found = await find();
        tookOver = found.length > 0;
        if (found.length) return found.sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.id.localeCompare(b.id))[0].id;
        throw new ServerBusyError(serverId, err.cloudMessage);
      }
    },
    discard: (id) => deleteImage(client, id),
    retry: client.retry,
  });
  return { imageId: res.value, name, token, adopted: res.adopted || tookOver, discarded: res.discarded };
}
