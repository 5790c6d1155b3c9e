// Glance v2 at /image: version discovery, image list (filters, sorting, limit/marker and the `next`
// link), show, delete. From the glance api-ref (versions/versions.inc, v2/images-images-v2.inc,
// images-parameters.yaml, samples/image-show-response.json).
import type { EmulatorResponse } from "../../service";
import { GlanceError } from "../errors";
import { authToken, iso, reply, type Call } from "../http";
import type { Image } from "./model";

/** versions.inc: GET / answers 300 with every version; GET /versions 200 with the same list. */
function versions(c: Call) {
  const href = `${c.base}/image/v2/`;
  const ids = ["v2.16", "v2.15", "v2.9", "v2.8", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"];
  return { versions: ids.map((id, i) => ({ id, status: i === 0 ? "CURRENT" : "SUPPORTED", links: [{ rel: "self", href }] })) };
}

export function renderImage(c: Call, img: Image) {
  const m = c.model.image;
  const status = m.status(img);
  const hasData = status === "active";
  return {
    ...img.properties,
    id: img.id,
    name: img.name,
    status,
    visibility: img.visibility,
    protected: img.protected,
    os_hidden: false,
    owner: img.owner,
    container_format: img.containerFormat,
    disk_format: img.diskFormat,
    min_disk: img.minDisk,
    min_ram: img.minRam,
    size: hasData ? img.size : null,
    virtual_size: null,
    checksum: hasData ? m.checksum(img) : null,
    os_hash_algo: hasData ? "sha512" : null,
    os_hash_value: hasData ? m.hash(img) : null,
    created_at: iso(img.createdAt),
    updated_at: iso(hasData && img.upload ? Math.max(img.updatedAt, img.upload.activeAt) : img.updatedAt),
    tags: [...img.tags],
    self: `/v2/images/${img.id}`,
    file: `/v2/images/${img.id}/file`,
    schema: "/v2/schemas/image",
  };
}

/** images-images-v2.inc "List images" query parameters that are not attribute filters. */
const CONTROL = new Set(["limit", "marker", "sort_key", "sort_dir", "sort", "member_status", "tag", "size_min", "size_max", "visibility", "os_hidden", "created_at", "updated_at"]);
/** Filters that take the `in:` operator (images-images-v2.inc "The in Operator"). */
const IN_FIELDS = new Set(["container_format", "disk_format", "id", "name", "status"]);

function inValues(raw: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|([^,]+)/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) out.push(m[1] ?? m[2]);
  return out;
}

const TIME_OPS: Record<string, (a: number, b: number) => boolean> = { gt: (a, b) => a > b, gte: (a, b) => a >= b, eq: (a, b) => a === b, neq: (a, b) => a !== b, lt: (a, b) => a < b, lte: (a, b) => a <= b };

function listImages(c: Call, projectId: string): EmulatorResponse {
  const q = c.query;
  let images = c.model.image.visibleTo(projectId).map((img) => ({ img, view: renderImage(c, img) as Record<string, unknown> }));
  // Visibility: every image the project sees but community ones, unless asked (images-images-v2.inc visibility).
  const visibility = q.get("visibility");
  if (visibility !== undefined && !["public", "private", "shared", "community", "all"].includes(visibility)) throw new GlanceError(400, `Invalid visibility value: ${visibility}`);
  if (visibility === undefined) images = images.filter(({ img }) => img.visibility !== "community");
  else if (visibility !== "all") images = images.filter(({ img }) => img.visibility === visibility);
  // images-images-v2.inc List images: "You can list VM images that have a status of active, queued, or saving".
  if (q.get("status") === undefined) images = images.filter(({ view }) => ["active", "queued", "saving"].includes(String(view.status)));
  const hidden = q.get("os_hidden");
  if (hidden === undefined || hidden === "false") images = images.filter(({ view }) => view.os_hidden === false);
  for (const tag of q.all("tag")) images = images.filter(({ img }) => img.tags.includes(tag));
  const sizeMin = q.get("size_min");
  if (sizeMin !== undefined) images = images.filter(({ view }) => typeof view.size === "number" && view.size >= Number(sizeMin));
  const sizeMax = q.get("size_max");
  if (sizeMax !== undefined) images = images.filter(({ view }) => typeof view.size === "number" && view.size <= Number(sizeMax));
  for (const key of ["created_at", "updated_at"]) {
    const raw = q.get(key);
    if (raw === undefined) continue;
    const [op, ...t] = raw.split(":");
    const when = Date.parse(t.join(":"));
    if (!TIME_OPS[op] || Number.isNaN(when)) throw new GlanceError(400, `Invalid value for ${key}: ${raw}`);
    images = images.filter(({ view }) => TIME_OPS[op](Date.parse(String(view[key])), when));
  }
  // Direct comparison filters on any other attribute or additional property (e.g. image_type=backup).
  for (const key of q.keys()) {
    if (CONTROL.has(key)) continue;
    const raw = q.get(key)!;
    const wanted = IN_FIELDS.has(key) && raw.startsWith("in:") ? inValues(raw.slice(3)) : [raw];
    images = images.filter(({ view }) => Object.hasOwn(view, key) && view[key] !== null && wanted.includes(String(view[key])));
  }
  // Sorting: sort_key/sort_dir pairs or sort=key:dir,…; created_at desc by default (then id, as Glance adds).
  const keys: [string, "asc" | "desc"][] = [];
  const sort = q.get("sort");
  if (sort !== undefined) {
    for (const part of sort.split(",")) {
      const [k, d = "desc"] = part.split(":");
      if (d !== "asc" && d !== "desc") throw new GlanceError(400, `Invalid sort direction: ${d}`);
      keys.push([k, d]);
    }
  } else {
    const ks = q.all("sort_key");
    const ds = q.all("sort_dir");
    for (const d of ds) if (d !== "asc" && d !== "desc") throw new GlanceError(400, `Invalid sort direction: ${d}`);
    ks.forEach((k, i) => keys.push([k, (ds[i] ?? ds[0] ?? "desc") as "asc" | "desc"]));
    if (!keys.length) keys.push(["created_at", (ds[0] ?? "desc") as "asc" | "desc"]);
  }
  keys.push(["id", keys[0][1]]);
  images.sort((a, b) => {
    for (const [k, d] of keys) {
      const x = a.view[k] as string | number | null;
      const y = b.view[k] as string | number | null;
      if (x === y) continue;
      const r = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return d === "asc" ? r : -r;
    }
    return 0;
  });
  const marker = q.get("marker");
  if (marker !== undefined) {
    const i = images.findIndex(({ img }) => img.id === marker);
    if (i < 0) throw new GlanceError(400, `Invalid marker. Image ${marker} could not be found.`);
    images = images.slice(i + 1);
  }
  // glance.conf limit_param_default 25, api_limit_max 1000.
  const rawLimit = q.get("limit");
  if (rawLimit !== undefined && !/^\d+$/.test(rawLimit)) throw new GlanceError(400, "limit param must be an integer");
  const limit = Math.min(rawLimit === undefined ? 25 : Number(rawLimit), 1000);
  const page = images.slice(0, limit);
  const body: Record<string, unknown> = { images: page.map(({ view }) => view), first: "/v2/images", schema: "/v2/schemas/images" };
  // images-images-v2.inc Pagination: a `next` link (keeping the query) while a page comes back full.
  if (page.length && page.length === limit) {
    const next = new URLSearchParams(c.req.rawQuery);
    next.set("marker", page[page.length - 1].img.id);
    body.next = `/v2/images?${next}`;
  }
  return reply(200, body);
}

export function image(c: Call): EmulatorResponse {
  const [version, coll, id, ...more] = c.segments;
  const m = c.req.method;
  if (version === undefined && m === "GET") return reply(300, versions(c));
  if (version === "versions" && coll === undefined && m === "GET") return reply(200, versions(c));
  if (version !== "v2") throw new GlanceError(404, "The resource could not be found.");
  const token = authToken(c);
  const projectId = token.projectId ?? "";
  if (coll === "images" && !more.length) {
    if (id === undefined && m === "GET") return listImages(c, projectId);
    if (id !== undefined && m === "GET") return reply(200, renderImage(c, c.model.image.get(id, projectId)));
    if (id !== undefined && m === "DELETE") {
      c.model.image.delete(id, projectId); // images-images-v2.inc delete: 204
      return reply(204, undefined);
    }
  }
  throw new GlanceError(404, "The resource could not be found.");
}
