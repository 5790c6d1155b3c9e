// Keystone v3 at /identity: version discovery, POST/GET/HEAD/DELETE /v3/auth/tokens (password and
// application_credential methods), GET /v3/auth/catalog and /v3/auth/projects. Bodies and codes from the
// keystone api-ref (authenticate-v3.inc, application-credentials.inc, samples/admin/*.json).
import type { EmulatorResponse } from "../../service";
import { KeystoneError, KeystoneNotFound, KeystoneValidationError, Unauthorized } from "../errors";
import { authToken, header, reply, type Call } from "../http";
import type { OpenStackModel } from "../models";
import { field, isObject, jsonBody, object, string } from "../params";
import type { Token } from "./model";

const bad = (m: string) => new KeystoneValidationError(m);
/** keystone api-ref identity-version-response.json; v3.14 is the Identity API of current releases. */
const IDENTITY_VERSION = "v3.14";

function versionDoc(base: string) {
  return {
    id: IDENTITY_VERSION,
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${base}/identity/v3/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}

/** Microsecond precision, as keystone prints expires_at / issued_at (authenticate-v3.inc samples). */
function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** The catalog of this emulator: every service on its one port, by path prefix, public and internal. */
export function catalog(model: OpenStackModel, base: string) {
  const region = model.opts.region;
  const entry = (type: string, name: string, url: string, id: string) => ({
    id,
    type,
    name,
    endpoints: ["public", "internal"].map((iface, i) => ({ id: `${id.slice(0, 30)}e${i}`, interface: iface, region, region_id: region, url })),
  });
  return [
    entry("identity", "keystone", `${base}/identity`, "1d0a3b7c9e2f4a6c8b0d2e4f6a8c0e11"),
    entry("compute", "nova", `${base}/compute/v2.1`, "2e1b4c8d0f3a5b7d9c1e3f5a7b9d1f22"),
    entry("image", "glance", `${base}/image`, "3f2c5d9e1a4b6c8e0d2f4a6b8c0e2a33"),
    entry("network", "neutron", `${base}/network`, "4a3d6e0f2b5c7d9f1e3a5b7c9d1f3b44"),
  ];
}

function tokenBody(model: OpenStackModel, t: Token, base: string, withCatalog: boolean) {
  const id = model.identity;
  const user = id.users.get(t.userId)!;
  const userDomain = id.domains.get(user.domainId)!;
  const body: Record<string, unknown> = {
    methods: t.methods,
    user: { domain: { id: userDomain.id, name: userDomain.name }, id: user.id, name: user.name, password_expires_at: null },
    audit_ids: [t.auditId],
    expires_at: keystoneTime(t.expiresAt),
    issued_at: keystoneTime(t.issuedAt),
  };
  if (t.projectId) {
    const p = id.projects.get(t.projectId)!;
    const pd = id.domains.get(p.domainId)!;
    body.project = { domain: { id: pd.id, name: pd.name }, id: p.id, name: p.name };
    body.is_domain = false;
    body.roles = id.roles.map((r) => ({ id: r.id, name: r.name }));
    if (withCatalog) body.catalog = catalog(model, base);
  }
  if (t.applicationCredentialId) {
    const ac = id.applicationCredentials.get(t.applicationCredentialId);
    body.application_credential = { id: t.applicationCredentialId, name: ac?.name ?? "", restricted: !(ac?.unrestricted ?? false) };
  }
  return { token: body };
}

type Ref = { id?: string; name?: string; domain?: { id?: string; name?: string } };

/** {id} or {name, domain: {id}|{name}}: a name needs its domain (keystone: "Expecting to find domain in …"). */
function ref(obj: Record<string, unknown>, what: string): Ref {
  const id = string(obj, "id", bad);
  const name = string(obj, "name", bad);
  if (id === undefined && name === undefined) throw bad(`Expecting to find id or name in ${what}.`);
  const d = object(obj, "domain", bad);
  if (id === undefined && !d) throw bad(`Expecting to find domain in ${what}.`);
  return { id, name, domain: d ? { id: string(d, "id", bad), name: string(d, "name", bad) } : undefined };
}

function issue(c: Call): EmulatorResponse {
  const body = jsonBody(c.req, bad);
  const auth = object(body, "auth", bad, { required: true })!;
  const identity = object(auth, "identity", bad, { required: true })!;
  const methods = field(identity, "methods");
  if (!Array.isArray(methods) || !methods.length || !methods.every((m) => typeof m === "string")) throw bad("'methods' is a required property");
  const model = c.model.identity;
  const scope = field(auth, "scope");
  let token: Token;
  if (methods.includes("application_credential")) {
    const acBody = object(identity, "application_credential", bad, { required: true })!;
    const secret = string(acBody, "secret", bad, { required: true })!;
    const id = string(acBody, "id", bad);
    const userObj = object(acBody, "user", bad);
    if (id === undefined && (string(acBody, "name", bad) === undefined || !userObj)) throw bad("Expecting to find id, or name and user, in application_credential.");
    const ac = model.authenticateApplicationCredential({ id, name: string(acBody, "name", bad), user: userObj ? ref(userObj, "user") : undefined }, secret);
    // keystone: an application credential token is always scoped to its own project; no other scope may be asked.
    if (scope !== undefined) throw new Unauthorized("Application credentials cannot request a scope.");
    token = model.issue({ methods: ["application_credential"], userId: ac.userId, projectId: ac.projectId, applicationCredentialId: ac.id });
  } else if (methods.includes("password")) {
    const pw = object(identity, "password", bad, { required: true })!;
    const userObj = object(pw, "user", bad, { required: true })!;
    const password = string(userObj, "password", bad, { required: true })!;
    const user = model.authenticatePassword(ref(userObj, "user"), password);
    let projectId: string | undefined;
    if (isObject(scope)) {
      const p = object(scope, "project", bad);
      if (p) projectId = model.scopeProject(ref(p, "project")).id;
      else if (field(scope, "domain") !== undefined || field(scope, "system") !== undefined) throw new Unauthorized("The emulator serves project-scoped and unscoped tokens only.");
    } else if (scope !== undefined && scope !== "unscoped") throw bad("Invalid scope.");
    token = model.issue({ methods: ["password"], userId: user.id, projectId });
  } else if (methods.includes("token")) {
    const tb = object(identity, "token", bad, { required: true })!;
    const from = model.authenticate(string(tb, "id", bad, { required: true }));
    let projectId = from.projectId;
    if (isObject(scope)) {
      const p = object(scope, "project", bad);
      if (p) projectId = model.scopeProject(ref(p, "project")).id;
    }
    token = model.issue({ methods: ["token"], userId: from.userId, projectId });
  } else {
    throw new Unauthorized(`Attempted to authenticate with an unsupported method.`);
  }
  return reply(201, tokenBody(c.model, token, c.base, !c.query.has("nocatalog")), { "X-Subject-Token": token.id });
}

export function identity(c: Call): EmulatorResponse {
  const [version, ...rest] = c.segments;
  const route = rest.join("/");
  const m = c.req.method;
  // keystone: GET / lists the versions with 300 Multiple Choices; GET /v3 shows v3 (identity-version*-response.json).
  if (version === undefined && m === "GET") return reply(300, { versions: { values: [versionDoc(c.base)] } });
  if (version !== "v3") throw new KeystoneNotFound("The resource could not be found.");
  if (route === "" && m === "GET") return reply(200, { version: versionDoc(c.base) });
  if (route === "auth/tokens") {
    if (m === "POST") return issue(c);
    // authenticate-v3.inc: validate (GET) and check (HEAD) need the caller's X-Auth-Token and the X-Subject-Token.
    if (m === "GET" || m === "HEAD") {
      authToken(c);
      const subject = c.model.identity.subject(header(c, "x-subject-token"));
      return reply(200, m === "HEAD" ? undefined : tokenBody(c.model, subject, c.base, !c.query.has("nocatalog")), { "X-Subject-Token": subject.id });
    }
    // authenticate-v3.inc: DELETE revokes X-Subject-Token at once (204).
    if (m === "DELETE") {
      authToken(c);
      c.model.identity.revoke(c.model.identity.subject(header(c, "x-subject-token")));
      return reply(204, undefined);
    }
  }
  if (route === "auth/catalog" && m === "GET") {
    const t = authToken(c);
    if (!t.projectId) throw new KeystoneError(403, "A project-scoped token is required to produce a service catalog.");
    return reply(200, { catalog: catalog(c.model, c.base), links: { self: `${c.base}/identity/v3/auth/catalog`, previous: null, next: null } });
  }
  if (route === "auth/projects" && m === "GET") {
    authToken(c);
    const projects = [...c.model.identity.projects.values()];
    return reply(200, { projects: projects.map((p) => ({ id: p.id, name: p.name, domain_id: p.domainId, enabled: true, is_domain: false, description: "", parent_id: p.domainId, links: { self: `${c.base}/identity/v3/projects/${p.id}` } })), links: { self: `${c.base}/identity/v3/auth/projects`, previous: null, next: null } });
  }
  throw new KeystoneNotFound("The resource could not be found.");
}
