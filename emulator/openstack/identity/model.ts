// Keystone state: domains, projects, users, roles, application credentials and issued tokens. Tokens
// expire on the emulated clock; revoked or expired tokens are not valid (keystone api-ref
// authenticate-v3.inc: "The Identity API considers expired tokens as invalid").
import { randomBytes } from "node:crypto";
import type { Clock } from "../../clock";
import { KeystoneNotFound, Unauthorized } from "../errors";
import type { OpenStackOptions } from "../models";

export interface Domain {
  id: string;
  name: string;
}

export interface Project {
  id: string;
  name: string;
  domainId: string;
}

export interface User {
  id: string;
  name: string;
  domainId: string;
  password: string;
}

export interface Role {
  id: string;
  name: string;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  secret: string;
  userId: string;
  projectId: string;
  /** keystone api-ref application-credentials.inc: unrestricted=false by default, shown as restricted: true in tokens. */
  unrestricted: boolean;
}

export interface Token {
  id: string;
  methods: string[];
  userId: string;
  /** Undefined for an unscoped token (no catalog). */
  projectId?: string;
  applicationCredentialId?: string;
  auditId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

/** The seeded identities every emulator starts with (what `envFor` hands to the clients). */
export const OPENSTACK_SEED = {
  domain: { id: "default", name: "Default" },
  project: "demo",
  adminProject: "admin",
  user: "admin",
  password: "emulator-password",
  applicationCredential: { id: "emulator-app-cred-id", name: "emulator-app-cred", secret: "emulator-app-cred-secret" },
} as const;

// Keystone ids are uuid4 hex without dashes; the seeds' are fixed so that state is reproducible.
const SEED_IDS = {
  demoProject: "6f70656e737461636b20646d656d6f30",
  adminProject: "6f70656e737461636b2061646d696e30",
  user: "9a1e3c5b7d2f4a6c8e0b1d3f5a7c9e21",
  member: "4c1f7a9e2b5d8f0a3c6e9b2d5f8a1c4e",
  reader: "7e2b5d8f0a3c6e9b2d5f8a1c4e7b0d3f",
};

const hexId = () => randomBytes(16).toString("hex");

export class IdentityModel {
  domains = new Map<string, Domain>();
  projects = new Map<string, Project>();
  users = new Map<string, User>();
  roles: Role[] = [];
  applicationCredentials = new Map<string, ApplicationCredential>();
  tokens = new Map<string, Token>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: OpenStackOptions,
  ) {
    this.seed();
  }

  get demoProject(): Project {
    return this.projects.get(SEED_IDS.demoProject)!;
  }
  get adminProject(): Project {
    return this.projects.get(SEED_IDS.adminProject)!;
  }

  reset(): void {
    this.domains.clear();
    this.projects.clear();
    this.users.clear();
    this.applicationCredentials.clear();
    this.tokens.clear();
    this.seed();
  }

  private seed(): void {
    const d = OPENSTACK_SEED.domain;
    this.domains.set(d.id, { ...d });
    this.projects.set(SEED_IDS.demoProject, { id: SEED_IDS.demoProject, name: OPENSTACK_SEED.project, domainId: d.id });
    this.projects.set(SEED_IDS.adminProject, { id: SEED_IDS.adminProject, name: OPENSTACK_SEED.adminProject, domainId: d.id });
    this.users.set(SEED_IDS.user, { id: SEED_IDS.user, name: OPENSTACK_SEED.user, domainId: d.id, password: OPENSTACK_SEED.password });
    this.roles = [
      { id: SEED_IDS.member, name: "member" },
      { id: SEED_IDS.reader, name: "reader" },
    ];
    const ac = OPENSTACK_SEED.applicationCredential;
    this.applicationCredentials.set(ac.id, { ...ac, userId: SEED_IDS.user, projectId: SEED_IDS.demoProject, unrestricted: false });
  }

  /** A domain by {id} or {name}; undefined when neither matches. */
  findDomain(ref: { id?: string; name?: string }): Domain | undefined {
    if (ref.id !== undefined) return this.domains.get(ref.id);
    return [...this.domains.values()].find((d) => d.name === ref.name);
  }

  /** A user by {id} or {name, domain}; a wrong password or an unknown user is the same 401. */
  authenticatePassword(ref: { id?: string; name?: string; domain?: { id?: string; name?: string } }, password: string): User {
    let user: User | undefined;
    if (ref.id !== undefined) user = this.users.get(ref.id);
    else {
      const domain = ref.domain ? this.findDomain(ref.domain) : undefined;
      user = domain && [...this.users.values()].find((u) => u.name === ref.name && u.domainId === domain.id);
    }
    if (!user || user.password !== password) throw new Unauthorized();
    return user;
  }

  /** keystone api-ref application-credentials.inc: by id, or by name with the owning user. */
  authenticateApplicationCredential(ref: { id?: string; name?: string; user?: { id?: string; name?: string; domain?: { id?: string; name?: string } } }, secret: string): ApplicationCredential {
    let ac: ApplicationCredential | undefined;
    if (ref.id !== undefined) ac = this.applicationCredentials.get(ref.id);
    else if (ref.user) {
      const domain = ref.user.domain ? this.findDomain(ref.user.domain) : undefined;
      const user = ref.user.id !== undefined ? this.users.get(ref.user.id) : domain && [...this.users.values()].find((u) => u.name === ref.user!.name && u.domainId === domain.id);
      ac = user && [...this.applicationCredentials.values()].find((a) => a.name === ref.name && a.userId === user.id);
    }
    if (!ac || ac.secret !== secret) throw new Unauthorized();
    return ac;
  }

  /** A project by {id} or {name, domain}; scoping to a project the user cannot reach is a 401. */
  scopeProject(ref: { id?: string; name?: string; domain?: { id?: string; name?: string } }): Project {
    let project: Project | undefined;
    if (ref.id !== undefined) project = this.projects.get(ref.id);
    else {
      const domain = ref.domain ? this.findDomain(ref.domain) : undefined;
      project = domain && [...this.projects.values()].find((p) => p.name === ref.name && p.domainId === domain.id);
    }
    if (!project) throw new Unauthorized(`The request you have made requires authentication.`);
    return project;
  }

  issue(t: { methods: string[]; userId: string; projectId?: string; applicationCredentialId?: string }): Token {
    const now = this.clock.now();
    if (this.tokens.size > 10_000) for (const [id, old] of this.tokens) if (old.expiresAt < now) this.tokens.delete(id);
    const token: Token = {
      // Fernet tokens are url-safe base64 starting gAAAAA; the content is opaque to clients.
      id: `gAAAAA${randomBytes(96).toString("base64url")}`,
      ...t,
      auditId: randomBytes(16).toString("base64url").slice(0, 22),
      issuedAt: now,
      expiresAt: now + this.opts.tokenLifetimeSeconds * 1000,
      revoked: false,
    };
    this.tokens.set(token.id, token);
    return token;
  }

  /** The caller's token (X-Auth-Token): missing, unknown, expired or revoked is 401. */
  authenticate(tokenId: string | undefined, identityUrl?: string): Token {
    const t = tokenId ? this.tokens.get(tokenId) : undefined;
    if (!t || t.revoked || this.clock.now() >= t.expiresAt) throw new Unauthorized(undefined, identityUrl);
    return t;
  }

  /** The token asked about (X-Subject-Token): keystone answers 404 TokenNotFound for a bad one. */
  subject(tokenId: string | undefined): Token {
    const t = tokenId ? this.tokens.get(tokenId) : undefined;
    if (!t || t.revoked || this.clock.now() >= t.expiresAt) throw new KeystoneNotFound(`Could not find token: ${tokenId ?? ""}.`);
    return t;
  }

  revoke(token: Token): void {
    token.revoked = true;
  }

  newId(): string {
    return hexId();
  }
}
