// Connection settings: stack config (handed to `configure`) first, then environment variables read at
// run time. The result lives only in memory of the process that makes the calls: it is never an input,
// an output, a log line, or captured by the serialized provider.
import type { PollInterval } from "./core/waiter";

/** What `configure` hands us: the stack's whole config, secrets decrypted. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

export interface VolcengineConnection {
  region: string;
  /** e.g. "http://127.0.0.1:4566"; undefined = the public endpoint over HTTPS. */
  endpoint?: string;
  accessKeyId: string;
  secretKey: string;
  sessionToken?: string;
}

export interface AlicloudConnection {
  region: string;
  ecsEndpoint?: string;
  ramEndpoint?: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

function first(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v !== "");
}

function missing(what: string, configKey: string, envVars: string[]): Error {
  return new Error(
    `${what} is not set: set stack config \`${configKey}\` (pulumi config set${/Key|password|Secret/.test(configKey) ? " --secret" : ""} ${configKey} …) or the environment variable ${envVars.join(" or ")}`,
  );
}

export function volcengineConnection(config: ConfigSource | undefined, regionOverride?: string): VolcengineConnection {
  const env = process.env;
  const region = first(regionOverride, config?.get("volcengine:region"), env.VOLCENGINE_REGION);
  const accessKeyId = first(config?.get("volcengine:accessKey"), env.VOLCENGINE_ACCESS_KEY);
  const secretKey = first(config?.get("volcengine:secretKey"), env.VOLCENGINE_SECRET_KEY);
  if (!region) throw missing("The Volcengine region", "volcengine:region", ["VOLCENGINE_REGION"]);
  if (!accessKeyId) throw missing("The Volcengine access key", "volcengine:accessKey", ["VOLCENGINE_ACCESS_KEY"]);
  if (!secretKey) throw missing("The Volcengine secret key", "volcengine:secretKey", ["VOLCENGINE_SECRET_KEY"]);
  return {
    region,
    endpoint: first(config?.get("volcengine:endpoint"), env.VOLCENGINE_ENDPOINT),
    accessKeyId,
    secretKey,
    sessionToken: first(config?.get("volcengine:sessionToken"), env.VOLCENGINE_SESSION_TOKEN),
  };
}

export function alicloudConnection(config: ConfigSource | undefined, regionOverride?: string): AlicloudConnection {
  const env = process.env;
  const region = first(regionOverride, config?.get("alicloud:region"), env.ALIBABA_CLOUD_REGION, env.ALICLOUD_REGION);
  const accessKeyId = first(config?.get("alicloud:accessKey"), env.ALIBABA_CLOUD_ACCESS_KEY_ID, env.ALICLOUD_ACCESS_KEY);
  const accessKeySecret = first(config?.get("alicloud:secretKey"), env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, env.ALICLOUD_SECRET_KEY);
  if (!region) throw missing("The Alibaba Cloud region", "alicloud:region", ["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"]);
  if (!accessKeyId) throw missing("The Alibaba Cloud access key", "alicloud:accessKey", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"]);
  if (!accessKeySecret)
    throw missing("The Alibaba Cloud secret key", "alicloud:secretKey", ["ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"]);
  return {
    region,
    ecsEndpoint: first(config?.get("alicloud:ecsEndpoint"), env.ALIBABA_CLOUD_ECS_ENDPOINT),
    ramEndpoint: first(config?.get("alicloud:ramEndpoint"), env.ALIBABA_CLOUD_RAM_ENDPOINT),
    accessKeyId,
    accessKeySecret,
    securityToken: first(config?.get("alicloud:securityToken"), env.ALIBABA_CLOUD_SECURITY_TOKEN),
  };
}

/**
 * Poll cadence for waits. PULUMI_RECOVERY_POLL_MS shortens it (drills against the emulator with a
 * fast clock); the default suits the real clouds.
 */
export function pollInterval(): PollInterval | undefined {
  const ms = Number(process.env.PULUMI_RECOVERY_POLL_MS);
  return ms > 0 ? { initialMs: ms, maxMs: ms * 10 } : undefined;
}

// ---- OpenStack ----
// Settings as OpenStack users already have them, first match wins per setting:
//   1. stack config under `openstack:` with @pulumi/openstack's key names (authUrl, userName, password,
//      tenantName, userDomainName, projectDomainName, region, endpointType, applicationCredentialId, …);
//   2. the entry of clouds.yaml named by `openstack:cloud` or OS_CLOUD (with secure.yaml beside it), found
//      on openstacksdk's search path: OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack/, /etc/openstack/;
//   3. the OS_* variables an openrc sets (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, …).
// openstacksdk ignores OS_* once a cloud is named; we let them fill what clouds.yaml leaves out (e.g. a
// password kept out of the file), which only ever adds a setting the user made.

export type OpenStackAuth =
  | {
      method: "password";
      userId?: string;
      userName?: string;
      userDomainId?: string;
      userDomainName?: string;
      password: string;
      projectId?: string;
      projectName?: string;
      projectDomainId?: string;
      projectDomainName?: string;
    }
  | {
      method: "application_credential";
      id?: string;
      name?: string;
      /** With `name`: the credential's owner. */
      userId?: string;
      userName?: string;
      userDomainId?: string;
      userDomainName?: string;
      secret: string;
    };

export interface OpenStackConnection {
  /** Keystone v3, e.g. "https://keystone.example.com:5000/v3" (a URL without /v3 gets it appended). */
  authUrl: string;
  /** The catalog region (OS_REGION_NAME); undefined: the catalog's only region. */
  region?: string;
  /** The catalog interface: public (default), internal or admin. */
  interface: "public" | "internal" | "admin";
  auth: OpenStackAuth;
  /** Where the settings came from, for messages (never a value). */
  source: string;
}

/** The parts of a clouds.yaml entry we read (openstacksdk's keys). */
interface CloudEntry {
  auth?: Record<string, unknown>;
  auth_type?: string;
  region_name?: string;
  interface?: string;
  endpoint_type?: string;
}

const CLOUDS_FILES = ["clouds.yaml", "clouds.yml"];

/** openstacksdk config/loader.py CONFIG_SEARCH_PATH: the working directory, the user's, the system's. */
export function cloudsYamlSearchPath(cwd = process.cwd(), home = require("node:os").homedir() as string): string[] {
  const dirs = [cwd, `${home}/.config/openstack`, "/etc/openstack"];
  const files = dirs.flatMap((d) => CLOUDS_FILES.map((f) => `${d}/${f}`));
  return process.env.OS_CLIENT_CONFIG_FILE ? [process.env.OS_CLIENT_CONFIG_FILE, ...files] : files;
}

function readYaml(file: string): Record<string, any> | undefined {
  const fs = require("node:fs") as typeof import("node:fs");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const doc = (require("yaml") as typeof import("yaml")).parse(text);
    return doc && typeof doc === "object" ? (doc as Record<string, any>) : {};
  } catch (e) {
    // The parser's message may quote the line, and the line may hold a password: say where, not what.
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new Error(`${file} is not valid YAML${line !== undefined ? ` (line ${line})` : ""}; fix it or point OS_CLIENT_CONFIG_FILE elsewhere`);
  }
}

/** The named cloud of the first clouds.yaml that has it, merged with secure.yaml's entry beside it. */
export function cloudsYamlEntry(name: string, searchPath = cloudsYamlSearchPath()): { entry: CloudEntry; file: string } {
  const tried: string[] = [];
  for (const file of searchPath) {
    const doc = readYaml(file);
    if (!doc) continue;
    tried.push(file);
    const entry = doc.clouds?.[name];
    if (!entry || typeof entry !== "object") continue;
    const dir = file.slice(0, file.lastIndexOf("/"));
    const secure = readYaml(`${dir}/secure.yaml`)?.clouds?.[name] ?? {};
    return { entry: { ...secure, ...entry, auth: { ...(secure.auth ?? {}), ...(entry.auth ?? {}) } }, file };
  }
  throw new Error(
    `OpenStack cloud "${name}" (from openstack:cloud or OS_CLOUD) is not in ${tried.length ? tried.join(", ") : "any clouds.yaml"}; searched ${searchPath.join(", ")}`,
  );
}

const INTERFACES = new Set(["public", "internal", "admin"]);

/**
 * The OpenStack connection. `overrides` (a resource's `cloud`/`region` input, a CLI flag) win over
 * everything; secrets are read but never named in an error by value.
 */
export function openstackConnection(config: ConfigSource | undefined, overrides: { cloud?: string; region?: string; authUrl?: string } = {}): OpenStackConnection {
  const env = process.env;
  const cfg = (key: string) => config?.get(`openstack:${key}`);
  const cloudName = first(overrides.cloud, cfg("cloud"), env.OS_CLOUD);
  const found = cloudName ? cloudsYamlEntry(cloudName) : undefined;
  const c = found?.entry ?? {};
  const a = (c.auth ?? {}) as Record<string, string | undefined>;
  const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
  const domainName = first(cfg("domainName"), str(a.domain_name), env.OS_DOMAIN_NAME);
  const domainId = first(cfg("domainId"), str(a.domain_id), env.OS_DOMAIN_ID);
  const defaultDomain = first(cfg("defaultDomain"), str(a.default_domain), env.OS_DEFAULT_DOMAIN);

  const authUrl = first(overrides.authUrl, cfg("authUrl"), str(a.auth_url), env.OS_AUTH_URL);
  if (!authUrl) throw missing("The OpenStack auth URL (Keystone)", "openstack:authUrl", ["OS_AUTH_URL", "a clouds.yaml entry named by OS_CLOUD"]);
  const iface = (first(cfg("endpointType"), str(c.interface), str(c.endpoint_type), env.OS_INTERFACE, env.OS_ENDPOINT_TYPE) ?? "public").replace(/URL$/, "");
  if (!INTERFACES.has(iface)) throw new Error(`OpenStack interface must be public, internal or admin (openstack:endpointType, OS_INTERFACE or clouds.yaml interface)`);

  const user = {
    userId: first(cfg("userId"), str(a.user_id), env.OS_USER_ID),
    userName: first(cfg("userName"), str(a.username), env.OS_USERNAME),
    userDomainId: first(cfg("userDomainId"), str(a.user_domain_id), env.OS_USER_DOMAIN_ID, domainId),
    userDomainName: first(cfg("userDomainName"), str(a.user_domain_name), env.OS_USER_DOMAIN_NAME, domainName),
  };
  if (!user.userDomainId && !user.userDomainName && defaultDomain) user.userDomainId = defaultDomain;
  const acSecret = first(cfg("applicationCredentialSecret"), str(a.application_credential_secret), env.OS_APPLICATION_CREDENTIAL_SECRET);
  const acId = first(cfg("applicationCredentialId"), str(a.application_credential_id), env.OS_APPLICATION_CREDENTIAL_ID);
  const acName = first(cfg("applicationCredentialName"), str(a.application_credential_name), env.OS_APPLICATION_CREDENTIAL_NAME);
  const source = [config ? "stack config" : undefined, found ? `clouds.yaml ${found.file} (cloud ${cloudName})` : undefined, "OS_* environment"].filter(Boolean).join(", ");
  const base = { authUrl, region: first(overrides.region, cfg("region"), str(c.region_name), env.OS_REGION_NAME), interface: iface as OpenStackConnection["interface"], source };

  const authType = first(str(c.auth_type), env.OS_AUTH_TYPE);
  if (acSecret || acId || acName || authType === "v3applicationcredential" || authType === "application_credential") {
    if (!acSecret) throw missing("The OpenStack application credential secret", "openstack:applicationCredentialSecret", ["OS_APPLICATION_CREDENTIAL_SECRET"]);
    if (!acId && !acName) throw missing("The OpenStack application credential id or name", "openstack:applicationCredentialId", ["OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_NAME"]);
    if (!acId && !user.userId && !user.userName) throw new Error("An OpenStack application credential given by name needs its user: set openstack:userName (or OS_USERNAME) and its domain");
    return { ...base, auth: { method: "application_credential", id: acId, name: acId ? undefined : acName, ...user, secret: acSecret } };
  }
  const password = first(cfg("password"), str(a.password), env.OS_PASSWORD);
  if (!user.userId && !user.userName) throw missing("The OpenStack user", "openstack:userName", ["OS_USERNAME", "OS_USER_ID"]);
  if (!password) throw missing("The OpenStack password", "openstack:password", ["OS_PASSWORD"]);
  if (user.userName && !user.userId && !user.userDomainId && !user.userDomainName) user.userDomainId = "default";
  const project = {
    projectId: first(cfg("tenantId"), str(a.project_id), str(a.tenant_id), env.OS_PROJECT_ID, env.OS_TENANT_ID),
    projectName: first(cfg("tenantName"), str(a.project_name), str(a.tenant_name), env.OS_PROJECT_NAME, env.OS_TENANT_NAME),
    projectDomainId: first(cfg("projectDomainId"), str(a.project_domain_id), env.OS_PROJECT_DOMAIN_ID, domainId),
    projectDomainName: first(cfg("projectDomainName"), str(a.project_domain_name), env.OS_PROJECT_DOMAIN_NAME, domainName),
  };
  if (!project.projectId && !project.projectName) throw missing("The OpenStack project", "openstack:tenantName", ["OS_PROJECT_NAME", "OS_PROJECT_ID"]);
  if (project.projectName && !project.projectId && !project.projectDomainId && !project.projectDomainName) project.projectDomainId = defaultDomain ?? "default";
  return { ...base, auth: { method: "password", ...user, password, ...project } };
}
