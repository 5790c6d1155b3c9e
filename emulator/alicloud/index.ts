// The Alibaba Cloud service of the emulator: ECS 2014-05-26 (with Cloud Assistant) and RAM 2015-05-01.
// Recognises the SDKs' requests by their ACS3 Authorization header, x-acs-version header or RPC Version
// parameter; verifies the signature (signature.ts); tells ECS from RAM by API version; settles
// time-driven state; dispatches the action; renders {RequestId, …} or the gateway's error body
// {RequestId, HostId, Code, Message, Recommend}.
import { randomUUID } from "node:crypto";
import { internalErrorMessage, reportInternalError } from "../http";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { adminRoute } from "./admin";
import { COMMAND_ACTIONS } from "./assistant/commands";
import { ASSISTANT_ACTIONS } from "./assistant/responses";
import { AUTO_SNAPSHOT_ACTIONS } from "./ecs/autoSnapshotPolicies";
import { LAUNCH_ACTIONS } from "./ecs/launchResponses";
import { ECS_ACTIONS } from "./ecs/responses";
import { TAG_ACTIONS } from "./ecs/tags";
import { isMetadataRequest } from "./metadata";
import { AcsError } from "./errors";
import { AlicloudModel, type AlicloudOptions } from "./models";
import type { Handler, Query } from "./params";
import { RAM_ACTIONS } from "./ram/responses";
import { NonceCache, parseForm, requestParams, verifyAcsSignature } from "./signature";
import { refuseInvalid, verdictFor } from "./validation";

export type { AlicloudOptions } from "./models";

const APIS: Record<string, { service: "ecs" | "ram"; product: string; host: string; actions: Record<string, Handler> }> = {
  "2014-05-26": { service: "ecs", product: "Ecs", host: "ecs.aliyuncs.com", actions: { ...ECS_ACTIONS, ...LAUNCH_ACTIONS, ...ASSISTANT_ACTIONS, ...COMMAND_ACTIONS, ...AUTO_SNAPSHOT_ACTIONS, ...TAG_ACTIONS } },
  "2015-05-01": { service: "ram", product: "Ram", host: "ram.aliyuncs.com", actions: RAM_ACTIONS },
};

/** Protocol parameters: part of signing, not of the action. */
const PROTOCOL = ["Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken", "BearerToken"];

const apiFor = (version: string) => (Object.hasOwn(APIS, version) ? APIS[version] : undefined);

export interface AlicloudService extends CloudService {
  model: AlicloudModel;
}

function header(req: EmulatorRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : String(v);
}

function target(req: EmulatorRequest, params: Query): { action: string; version: string; query: Query } {
  const action = header(req, "x-acs-action") ?? params.Action ?? "";
  const version = header(req, "x-acs-version") ?? params.Version ?? "";
  const query = { ...params };
  for (const k of PROTOCOL) delete query[k];
  return { action, version, query };
}

export function createAlicloudService(ctx: EmulatorContext, options: Partial<AlicloudOptions> = {}): AlicloudService {
  const model = new AlicloudModel(ctx.clock, options);
  const nonces = new NonceCache();

  const error = (version: string, status: number, code: string, message: string, headers?: Record<string, string>): EmulatorResponse => {
    const api = apiFor(version) ?? APIS["2014-05-26"];
    const requestId = randomUUID().toUpperCase();
    return {
      status,
      headers,
      body: { RequestId: requestId, HostId: api.host, Code: code, Message: message, Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${api.product}&requestId=${requestId}` },
    };
  };

  const versionOf = (req: EmulatorRequest) => {
    try {
      return target(req, parseForm(req.rawQuery)).version;
    } catch {
      // A query that does not decode still addresses us by its (plain ASCII) Version: answer in our envelope.
      return header(req, "x-acs-version") ?? /(?:^|&)Version=([\w-]*)(?:&|$)/.exec(req.rawQuery)?.[1] ?? "";
    }
  };

  return {
    cloud: "alicloud",
    model,
    matches(req) {
      if (String(req.headers.authorization ?? "").startsWith("ACS3-")) return true;
      // The instance metadata service (metadata.ts): no signature, its own paths.
      if (isMetadataRequest(req)) return true;
      return apiFor(versionOf(req)) !== undefined;
    },
    describe(req) {
      if (isMetadataRequest(req)) return { service: "metadata", action: `${req.method} ${req.path}`, params: {} };
      try {
        const t = target(req, requestParams(req));
        if (!t.action) return undefined;
        const service = apiFor(t.version)?.service ?? "unknown";
        const unknownParams = verdictFor(service, t.action, t.query)?.unknown ?? [];
        // The call log is for tests and drills: long scripts are cut, and no signing parameter is kept.
        if (t.query.CommandContent && t.query.CommandContent.length > 2000) t.query.CommandContent = `${t.query.CommandContent.slice(0, 2000)}…`;
        for (const k of ["Password", "UserData"]) if (t.query[k] !== undefined) t.query[k] = "***"; // never a secret in the log
        return { service, action: t.action, params: t.query, unknownParams };
      } catch {
        return undefined;
      }
    },
    handle(req) {
      if (isMetadataRequest(req)) {
        model.settle();
        return model.metadata.answer(req);
      }
      let version = "";
      try {
        const params = requestParams(req);
        const t = target(req, params);
        version = t.version;
        verifyAcsSignature(req, params, ctx.credentials, nonces);
        const api = apiFor(t.version);
        if (!api) throw new AcsError("InvalidVersion", 400, "Specified parameter Version is not valid.");
        const handler = Object.hasOwn(api.actions, t.action) ? api.actions[t.action] : undefined;
        if (!handler) throw new AcsError("InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method.");
        // Missing or mistyped parameters, as the SDK models define them (../spec.ts).
        refuseInvalid(verdictFor(api.service, t.action, t.query));
        model.settle();
        return { status: 200, body: { RequestId: randomUUID().toUpperCase(), ...handler(t.query, model) } };
      } catch (e) {
        if (e instanceof AcsError) return error(version, e.status, e.code, e.message);
        return error(version, 500, "InternalError", `The request processing has failed due to some unknown error. ${internalErrorMessage(reportInternalError(e))}`);
      }
    },
    renderError(req, e) {
      const headers = e.retryAfterSeconds !== undefined ? { "x-acs-retry-after": String(Math.round(e.retryAfterSeconds * 1000)) } : undefined;
      return error(versionOf(req), e.status, e.code, e.message, headers);
    },
    admin(subpath, method, body) {
      model.settle();
      return adminRoute(model, subpath, method, body);
    },
    reset() {
      model.reset();
      nonces.clear();
    },
  };
}
