// Admin routes of the OpenStack cloud, reached as /_admin/openstack/<route> (drills, tests, demos):
//   GET  state         servers (states, fault, disks), images, networks, ports, settings
//   GET  disk          ?serverId=&disk=0|1: a server's disk as the guest sees it (while rescued disk 0 is
//                      the rescue image's, disk 1 the server's own); POST disk {serverId, path, content, disk?}
//   GET  image-disk    ?imageId=: the disk content an image holds (a backup's copy)
//   POST fail          {serverId, state: "ERROR" | "SHUTOFF", message?, code?, details?}
//   GET  settings      the options; POST settings {…patch}: validated (known keys, types, ranges)
import type { EmulatorResponse } from "../service";
import { AdminError } from "./errors";
import { iso } from "./http";
import { validateOptions, type OpenStackModel } from "./models";
import type { Server } from "./compute/model";

function server(m: OpenStackModel, body: Record<string, unknown>): Server {
  const id = body.serverId;
  if (typeof id !== "string" || !id) throw new AdminError(400, "MissingParameter", "serverId is required.");
  const s = m.compute.servers.get(id);
  if (!s) throw new AdminError(404, "ServerNotFound", `No server ${id}.`);
  return s;
}

/** The disks the guest sees, in order: while rescued, the rescue disk first and the server's own second. */
function disks(s: Server): Record<string, string>[] {
  return s.rescueDisk ? [s.rescueDisk, s.disk] : [s.disk];
}

function diskIndex(s: Server, raw: unknown): number {
  const n = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n >= disks(s).length) throw new AdminError(400, "InvalidDisk", `disk is 0${disks(s).length > 1 ? " or 1 (the server's own disk while rescued)" : ""}.`);
  return n;
}

function state(m: OpenStackModel) {
  const c = m.compute;
  return {
    settings: { ...m.opts },
    servers: [...c.servers.values()].map((s) => ({
      id: s.id,
      name: s.name,
      status: c.status(s),
      vmState: s.vmState,
      taskState: c.taskState(s),
      powerState: s.powerState,
      imageId: s.imageId,
      flavorId: s.flavorId,
      fault: s.fault ? { ...s.fault, created: iso(s.fault.created) } : undefined,
      ports: s.portIds.map((p) => m.network.ports.get(p)).filter(Boolean),
      files: { ...s.disk },
      rescueFiles: s.rescueDisk ? { ...s.rescueDisk } : undefined,
    })),
    images: [...m.image.images.values()].map((i) => ({ id: i.id, name: i.name, status: m.image.status(i), visibility: i.visibility, owner: i.owner, createdAt: iso(i.createdAt), properties: { ...i.properties } })),
    networks: [...m.network.networks.values()].map((n) => ({ ...n })),
  };
}

export function adminRoute(m: OpenStackModel, subpath: string, method: string, body: Record<string, unknown>): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  try {
    switch (`${method} ${subpath}`) {
      case "GET state":
        return ok(state(m));
      case "GET disk": {
        const s = server(m, body);
        const i = diskIndex(s, body.disk);
        return ok({ serverId: s.id, disk: i, disks: disks(s).length, files: { ...disks(s)[i] } });
      }
      case "POST disk": {
        const s = server(m, body);
        const i = diskIndex(s, body.disk);
        if (typeof body.path !== "string" || !body.path.startsWith("/")) throw new AdminError(400, "InvalidPath", "path is an absolute path.");
        if (body.content !== undefined && typeof body.content !== "string") throw new AdminError(400, "InvalidContent", "content is a string.");
        const d = disks(s)[i];
        if (body.content === undefined) delete d[body.path];
        else d[body.path] = body.content as string;
        return ok({ serverId: s.id, disk: i, disks: disks(s).length, files: { ...d } });
      }
      case "GET image-disk": {
        const img = typeof body.imageId === "string" ? m.image.images.get(body.imageId) : undefined;
        if (!img) throw new AdminError(404, "ImageNotFound", `No image ${String(body.imageId)}.`);
        return ok({ imageId: img.id, status: m.image.status(img), files: { ...img.files } });
      }
      case "POST fail": {
        const s = server(m, body);
        if (body.state !== "ERROR" && body.state !== "SHUTOFF") throw new AdminError(400, "InvalidState", 'state is "ERROR" or "SHUTOFF".');
        for (const k of ["message", "details"]) if (body[k] !== undefined && typeof body[k] !== "string") throw new AdminError(400, "InvalidFault", `${k} is a string.`);
        if (body.code !== undefined && typeof body.code !== "number") throw new AdminError(400, "InvalidFault", "code is a number.");
        m.compute.fail(s, { state: body.state, message: body.message as string | undefined, code: body.code as number | undefined, details: body.details as string | undefined });
        return ok(state(m).servers.find((x) => x.id === s.id));
      }
      case "GET settings":
        return ok({ ...m.opts });
      case "POST settings":
        Object.assign(m.opts, validateOptions(body));
        return ok({ ...m.opts });
      default:
        return undefined;
    }
  } catch (e) {
    if (e instanceof AdminError) return { status: e.status, body: e.body() };
    throw e;
  }
}
