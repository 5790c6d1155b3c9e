// Shared by the conformance suites: a response body against the model's output shape (spec.json
// "output", from the SDK's own response models), and the fields a suite needs to be there.
import { expect } from "vitest";
import { actionSpec, checkShape, shapeHas, type Cloud } from "../../emulator/spec";

/** Dotted paths (lists as `[]`) that must be present in a response; each must exist in the model too. */
export type RequiredOutputs = Record<string, string[]>;

/** Every present value under `path` of `body` (lists fanned out). */
function valuesAt(body: unknown, path: string): unknown[] {
  let cur: unknown[] = [body];
  for (const part of path.split(".")) {
    const list = part.endsWith("[]");
    const name = list ? part.slice(0, -2) : part;
    cur = cur.flatMap((v) => (v && typeof v === "object" && !Array.isArray(v) && name in v ? [(v as any)[name]] : [undefined]));
    if (list) cur = cur.flatMap((v) => (Array.isArray(v) ? v : [undefined]));
  }
  return cur;
}

/**
 * Asserts `body` has the model's shape (every field known, of the model's type) and carries `required`:
 * each path names a field of the model, and every object on the way that exists has it.
 */
export function expectModelShape(cloud: Cloud, service: string, action: string, body: unknown, required: string[] = []): void {
  const spec = actionSpec(cloud, service, action);
  expect(spec, `${cloud} ${service} ${action} has a model`).toBeDefined();
  expect(checkShape(spec!.output, body), `${cloud} ${service} ${action}: the response against the model`).toEqual([]);
  for (const path of required) {
    expect(shapeHas(spec!.output, path), `${action}: ${path} is a field of the model`).toBe(true);
    const values = valuesAt(body, path);
    expect(values.length, `${action}: ${path} reached`).toBeGreaterThan(0);
    expect(values.every((v) => v !== undefined), `${action}: ${path} present in ${JSON.stringify(body).slice(0, 400)}`).toBe(true);
  }
}
