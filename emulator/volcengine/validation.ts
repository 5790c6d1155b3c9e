// Volcengine's side of the spec check (../spec.ts): the refusals in its own words and envelope, keyed by
// (service, action) — the service name is the one in the signature's credential scope (`ecs`,
// `storage_ebs`), as the SDK models group the actions (spec.json, from volcenginesdkecs /
// volcenginesdkstorageebs).
import { actionSpec, checkParams, type Verdict } from "../spec";
import { ApiError, type VolcengineOptions } from "./models";

/** The checks the emulator can make of a request; undefined when the models have no such action. */
export function verdictFor(service: string, action: string, params: Record<string, string>): Verdict | undefined {
  const spec = actionSpec("volcengine", service, action);
  return spec ? checkParams(spec, params) : undefined;
}

/**
 * Throws the error the gateway answers a request with a missing or malformed parameter.
 * Wording: the Volcengine products' common error table (docs 6466/1170868: "The required parameter
 * {{parameter}} is missing.", "The specified parameter {{parameter}} is invalid.", HTTP 400). The code of
 * a malformed value (`InvalidParameter`, or `InvalidParameter.<Name>` as some products answer) is not
 * documented for ECS: `opts.invalidParameterCode` sets it, `{name}` standing for the parameter.
 */
export function refuseInvalid(verdict: Verdict | undefined, opts: Pick<VolcengineOptions, "invalidParameterCode" | "missingParameterCodes">, action: string): void {
  const p = verdict?.problem;
  if (!p) return;
  if (p.kind === "missing") {
    const code = opts.missingParameterCodes[`${action}.${p.name}`] ?? "MissingParameter";
    throw new ApiError(code, 400, `The required parameter ${p.name} is missing.`);
  }
  throw new ApiError(opts.invalidParameterCode.replace("{name}", p.name), 400, `The specified parameter ${p.name} is invalid: ${p.reason}.`);
}
