// Volcengine's naming rules, checked at preview so the API never refuses a name at `up`.
// Sources: RunInstances (docs 6396/76275: InstanceName, Description, Hostname), CreateImage (docs
// 6396/132240: ImageName, Description), tag rules (CreateTags / RunInstances Tags.N), API-NOTES
// "Corrections" (hostname lengths, user data size).
import { z } from "zod";

const HAN = "\\u4e00-\\u9fa5";

/** InstanceName / ImageName: a letter or Chinese character first; Chinese, letters, digits, _ - .; 1–128. */
export const resourceName = (field: string) =>
  z
    .string()
    .regex(new RegExp(`^[A-Za-z${HAN}][A-Za-z0-9${HAN}_.-]{0,127}$`), `${field} must start with a letter or a Chinese character and use only letters, digits, Chinese characters, "_", "-" and "." (1-128 characters)`);

/** Instance and image descriptions: a letter or Chinese character first; a restricted set; ≤ 255. */
export const description = (field: string) =>
  z
    .string()
    .regex(new RegExp(`^(?:[A-Za-z${HAN}][A-Za-z0-9${HAN} _.=,，。-]{0,254})?$`), `${field} must start with a letter or a Chinese character and use only letters, digits, Chinese characters, spaces and _ - . = , ， 。 (at most 255 characters)`);

/** Linux: 2–63 characters of letters, digits, "." and "-", no leading, trailing or doubled "." / "-". Windows: 2–15. */
export function hostnameProblem(h: string, os: "linux" | "windows" = "linux"): string | undefined {
  const max = os === "windows" ? 15 : 63;
  if (h.length < 2 || h.length > max) return `hostname is 2-${max} characters on ${os === "windows" ? "Windows" : "Linux"}`;
  if (!/^[A-Za-z0-9.-]+$/.test(h)) return 'hostname takes only letters, digits, "." and "-"';
  if (/^[.-]|[.-]$/.test(h)) return 'hostname must not start or end with "." or "-"';
  if (/[.-]{2}/.test(h)) return 'hostname must not contain ".." "--" ".-" or "-."';
  return undefined;
}

/** UserData: at most 16 KB before base64 encoding (API-NOTES: RunInstances UserData). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/** Tag keys and values (RunInstances Tags.N, CreateTags): language characters, digits, spaces and _ . : / = + - @. */
export const TAG_KEY = /^(?!(volc|sys):)[\p{L}\p{N} _.:/=+\-@]{1,128}$/iu;
export const TAG_VALUE = /^[\p{L}\p{N} _.:/=+\-@]{0,256}$/u;
