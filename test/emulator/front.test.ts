// The emulator's HTTP front under abuse: requests cut short, too large, not decodable, not HTTP at all;
// the lose-response fault ("the cloud acted and the answer was lost"); the admin API's guard (token,
// JSON only, own Origin and Host, loopback peers); checked settings and fault rules. Raw sockets where
// the SDKs would never send such a thing. After each, the same process keeps serving.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN_ENV, AdminClient, envFor, startEmulator, type RunningEmulator } from "../../emulator";
import { guardAdmin, isLoopback } from "../../emulator/admin";
import { MAX_BODY_BYTES } from "../../emulator/http";
import type { EmulatorRequest } from "../../emulator/service";
import { AlicloudClient } from "../../provider/alicloud/client";
import type { CloudError } from "../../provider/core/errors";
import { VolcengineClient } from "../../provider/volcengine/client";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ clock: { frozen: true } });
});
afterAll(() => emu?.close());
beforeEach(() => emu.admin.reset());

const ecs = () => new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey }, { retry: { maxAttempts: 1 } });
const ali = () =>
  new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, ramEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey }, { retry: { maxAttempts: 1 } });
const RUN = {
  ZoneId: "cn-beijing-a",
  ImageId: "image-ubuntu2204-emu",
  InstanceTypeId: "ecs.g3il.large",
  InstanceName: "front",
  SpotStrategy: "SpotAsPriceGo",
  NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
};
const TRUST_ECS = JSON.stringify({ Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }], Version: "1" });

/** Sends bytes on a fresh socket; resolves with everything the server wrote once it closes (or we do). */
function raw(bytes: string | Buffer, opts: { thenDestroy?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(emu.port, "127.0.0.1");
    const got: Buffer[] = [];
    s.on("data", (d) => got.push(d));
    s.on("error", () => undefined); // the server may hang up while we still write: fine
    s.on("close", () => resolve(Buffer.concat(got).toString("utf8")));
    s.write(bytes, () => {
      if (opts.thenDestroy) s.destroy();
    });
  });
}

/** One HTTP request with exactly the headers given (fetch would add or refuse some). */
function http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }; // Node sends a GET body unframed otherwise
    const req = httpRequest({ host: "127.0.0.1", port: emu.port, method, path, headers: { connection: "close", ...length, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const auth = () => ({ authorization: `Bearer ${emu.adminToken}` });
const jsonAuth = () => ({ ...auth(), "content-type": "application/json" });

/** No stack trace, no file path of ours, in anything the emulator answers. */
function expectClean(text: string): void {
  expect(text).not.toMatch(/\n\s+at\s/);
  expect(text).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  expect(text).not.toMatch(/(?<![:/\w])\/[\w.@-]+\/[\w.@/-]+/); // an absolute path (a URL's // does not count)
  expect(text).not.toContain(process.cwd());
  expect(text).not.toMatch(/\.ts:\d+|node:internal|node_modules/);
}

/** The process still serves both the admin API and a cloud API call. */
async function stillServing(): Promise<void> {
  await new Promise((r) => setTimeout(r, 30)); // let the server see the abuse through before asking
  expect((await emu.admin.health()).ok).toBe(true);
  expect((await ecs().ecs("DescribeInstances")).Instances).toEqual([]);
}

describe("the front survives malformed and aborted requests", () => {
  it.each(["/", "/_admin/reset"])("a body cut short (Content-Length: 1000, a few bytes, close) on %s", async (path) => {
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${emu.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    expect(await raw(`${head}{"a":`, { thenDestroy: true })).toBe("");
    await stillServing();
  });

  it("a socket reset mid-body (a request stream error)", async () => {
    await new Promise<void>((resolve) => {
      const s = connect(emu.port, "127.0.0.1", () => {
        s.write(`PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, () => {
          s.resetAndDestroy();
          resolve();
        });
      });
      s.on("error", () => undefined);
    });
    await stillServing();
  });

  it("answers 413 to a body over the limit, declared or streamed, and keeps serving", async () => {
    const declared = await raw(`POST /_admin/reset HTTP/1.1\r\nHost: 127.0.0.1:${emu.port}\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`);
    expect(declared).toMatch(/^HTTP\/1\.1 413 /);
    const big = Buffer.alloc(MAX_BODY_BYTES + 1024, "a");
    const streamed = await raw(
      Buffer.concat([
        Buffer.from(`POST /?Action=RunInstances&Version=2020-04-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n`),
        big,
        Buffer.from("\r\n0\r\n\r\n"),
      ]),
    );
    expect(streamed).toMatch(/^HTTP\/1\.1 413 /);
    expect(streamed).toContain('"Code":"RequestEntityTooLarge"'); // in the addressed cloud's envelope
    expectClean(declared + streamed);
    await stillServing();
  });

  it("answers a query that does not decode with a 400 in the addressed cloud's envelope, never a stack trace", async () => {
    const volc = await http("GET", "/?Action=DescribeInstances&Version=2020-04-01&InstanceIds.1=%E0%A4%A");
    expect(volc.status).toBe(400);
    expect(volc.json.ResponseMetadata.Error).toMatchObject({ Code: "InvalidParameter", Message: "The query string is not well-formed URL encoding." });
    const acs = await http("GET", "/?Action=DescribeInstances&Version=2014-05-26&RegionId=%zz");
    expect(acs.status).toBe(400);
    expect(acs.json).toMatchObject({ Code: "InvalidParameter", HostId: "ecs.aliyuncs.com" });
    const admin = await http("GET", "/_admin/calls?action=%zz", auth());
    expect(admin.status).toBe(200); // the admin API reads its query leniently
    expectClean(volc.text + acs.text + admin.text);
    await stillServing();
  });

  it("survives bytes that are not HTTP at all", async () => {
    expect(await raw("\x16\x03\x01 not http\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    await stillServing();
  });

  it("refuses admin bodies that are not a JSON object", async () => {
    for (const body of ["{not json", "[1,2]", "null", '"x"', "\u0000\u00ff"]) {
      const res = await http("POST", "/_admin/faults", jsonAuth(), body);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("BadJson");
      expectClean(res.text);
    }
    expect(await emu.admin.request("faults")).toEqual([]);
  });

  describe("internal errors are answered with an id, logged to stderr, never with a stack trace", () => {
    let stderr: ReturnType<typeof vi.spyOn>;
    beforeEach(() => {
      stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    });
    afterEach(() => {
      stderr.mockRestore();
      vi.restoreAllMocks();
    });
    const boom = () => {
      throw new Error(`boom in ${process.cwd()}/emulator/secret.ts`);
    };
    const logged = () => stderr.mock.calls.map((c) => String(c[0])).join("");

    it("in the front", async () => {
      vi.spyOn(emu.volcengine, "describe").mockImplementation(boom);
      const res = await http("GET", "/?Action=DescribeInstances&Version=2020-04-01");
      expect(res.status).toBe(500);
      expect(res.json).toMatchObject({ error: "EmulatorError", errorId: expect.stringMatching(/^[0-9a-f]{8}$/) });
      expect(logged()).toContain(`internal error ${res.json.errorId}: Error: boom in`);
      expectClean(res.text);
    });

    it("in a service, in its own envelope", async () => {
      vi.spyOn(emu.volcengine.model, "settle").mockImplementation(boom);
      vi.spyOn(emu.alicloud.model, "settle").mockImplementation(boom);
      const volc = (await ecs().ecs("DescribeInstances").catch((e) => e)) as CloudError;
      expect(volc.code).toBe("InternalServiceError");
      const acs = (await ali().call("ecs", "DescribeInstances", {}).catch((e) => e)) as CloudError;
      expect(acs.code).toBe("InternalError");
      for (const e of [volc, acs]) {
        expect(e.message).toMatch(/error id [0-9a-f]{8}; details are on its stderr/);
        expect(e.message).not.toContain("boom");
      }
      expect(logged().match(/internal error [0-9a-f]{8}: Error: boom/g)).toHaveLength(2);
    });
  });
});

describe("lose-response: the cloud acts, the answer never arrives", () => {
  it("a RunInstances whose answer is lost created the instance; the SDK saw a connection reset; its ClientToken finds it again", async () => {
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "lose-response", count: 1 });
    const err = (await ecs().ecs("RunInstances", { ...RUN, ClientToken: "lost-1" }).catch((e) => e)) as CloudError;
    expect(err.code).toBe("ECONNRESET");
    const { instances } = await emu.admin.volcengine.state();
    expect(instances).toHaveLength(1); // it took effect
    expect(await emu.admin.calls({ action: "RunInstances" })).toMatchObject([{ status: 200, fault: "lose-response reset" }]);
    // The retry idempotency exists for: the same token answers with the instance made the first time.
    const again = await ecs().ecs("RunInstances", { ...RUN, ClientToken: "lost-1" });
    expect(again.InstanceIds).toEqual([instances[0].InstanceId]);
    expect((await emu.admin.volcengine.state()).instances).toHaveLength(1);
  });

  it("through the Alibaba SDK: the role exists though CreateRole failed with a connection reset", async () => {
    await emu.admin.addFault({ cloud: "alicloud", action: "CreateRole", kind: "lose-response", count: 1 });
    const err = (await ali().call("ram", "CreateRole", { RoleName: "lost", AssumeRolePolicyDocument: TRUST_ECS }).catch((e) => e)) as CloudError;
    expect(err.code).toBe("ECONNRESET");
    expect((await emu.admin.request("alicloud/state")).roles.map((r: any) => r.RoleName)).toContain("lost");
  });

  it("mode timeout holds the connection open until the client gives up", async () => {
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "lose-response", mode: "timeout", count: 1 });
    const { Service } = require("@volcengine/openapi") as typeof import("@volcengine/openapi");
    const sdk = new Service({ serviceName: "ecs", region: "cn-beijing", host: `127.0.0.1:${emu.port}`, protocol: "http:", accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey } as any);
    const runInstances = sdk.createAPI("RunInstances", { Version: "2020-04-01", method: "GET" }) as any;
    const err = await runInstances(
      { ZoneId: "cn-beijing-a", ImageId: "image-ubuntu2204-emu", InstanceTypeId: "ecs.g3il.large", InstanceName: "held", "NetworkInterfaces.1.SubnetId": "subnet-emu-cn-beijing-a", "NetworkInterfaces.1.SecurityGroupIds.1": "sg-emu-default" },
      { timeout: 200 },
    ).catch((e: any) => e);
    expect(err.code).toBe("ECONNABORTED"); // axios: "timeout of 200ms exceeded"
    expect((await emu.admin.volcengine.state()).instances.map((i) => i.InstanceName)).toEqual(["held"]);
    expect(await emu.admin.calls({ action: "RunInstances" })).toMatchObject([{ status: 200, fault: "lose-response timeout" }]);
  });

  it("drop still cuts the connection before the cloud acts", async () => {
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "drop", count: 1 });
    expect(((await ecs().ecs("RunInstances", RUN).catch((e) => e)) as CloudError).code).toBe("ECONNRESET");
    expect((await emu.admin.volcengine.state()).instances).toEqual([]);
  });

  it("rate rules are reproducible from the seed; count rules exact", async () => {
    const pattern = async () => {
      await emu.admin.request("faults?seed=7", "DELETE");
      await emu.admin.clearCalls();
      await emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "lose-response", rate: 0.5 });
      for (let i = 0; i < 12; i++) await ecs().ecs("DescribeInstances").catch(() => undefined);
      return (await emu.admin.calls()).map((c) => c.fault ?? "answered");
    };
    const first = await pattern();
    expect(first).toContain("lose-response reset");
    expect(first).toContain("answered");
    expect(await pattern()).toEqual(first);
    await emu.admin.clearFaults();
    await emu.admin.clearCalls();
    await emu.admin.addFault({ kind: "lose-response", count: 2 });
    for (let i = 0; i < 4; i++) await ecs().ecs("DescribeInstances").catch(() => undefined);
    expect((await emu.admin.calls()).map((c) => c.fault ?? "answered")).toEqual(["lose-response reset", "lose-response reset", "answered", "answered"]);
  });
});

describe("the admin API is safe on a developer machine", () => {
  it("needs this run's token on every route but GET health", async () => {
    expect((await http("GET", "/_admin/health")).status).toBe(200);
    for (const [method, path] of [
      ["GET", "/_admin/volcengine/state"],
      ["GET", "/_admin/calls"],
      ["POST", "/_admin/reset"],
      ["POST", "/_admin/clock"],
    ]) {
      const none = await http(method, path, { "content-type": "application/json" }, "{}");
      expect(none.status).toBe(401);
      expect(none.json.error).toBe("AdminTokenRequired");
      expect((await http(method, path, { "content-type": "application/json", authorization: "Bearer not-the-token" }, "{}")).status).toBe(401);
    }
    expect((await http("GET", "/_admin/calls", { "x-emulator-admin-token": emu.adminToken })).status).toBe(200);
    expect((await http("GET", "/_admin/calls", auth())).status).toBe(200);
  });

  it("takes writes in application/json only: text/plain (what a web page may POST anywhere) is refused", async () => {
    const before = await emu.admin.volcengine.settings();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
      const res = await http("POST", "/_admin/volcengine/settings", { ...auth(), ...(type ? { "content-type": type } : {}) }, '{"instanceCreateSeconds": 1}');
      expect(res.status).toBe(415);
    }
    expect(await emu.admin.volcengine.settings()).toEqual(before);
    expect((await http("POST", "/_admin/volcengine/settings", { ...auth(), "content-type": "application/json; charset=utf-8" }, '{"instanceCreateSeconds": 1}')).status).toBe(200);
  });

  it("refuses a foreign Origin and a foreign Host (DNS rebinding), even with the token", async () => {
    for (const origin of ["http://evil.example", "null", `http://127.0.0.1:${emu.port + 1}`, `https://localhost:${emu.port}`]) {
      const res = await http("GET", "/_admin/calls", { ...auth(), origin });
      expect(res.status).toBe(403);
    }
    for (const origin of [`http://127.0.0.1:${emu.port}`, `http://localhost:${emu.port}`]) expect((await http("GET", "/_admin/calls", { ...auth(), origin })).status).toBe(200);
    for (const host of [`evil.example:${emu.port}`, "127.0.0.1", `localhost:${emu.port + 1}`, `127.0.0.1.nip.io:${emu.port}`]) {
      const res = await http("GET", "/_admin/health", { host });
      expect(res.status).toBe(403);
      expect(res.json.message).toMatch(/Host header/);
    }
    expect((await http("GET", "/_admin/health", { host: `localhost:${emu.port}` })).status).toBe(200);
  });

  it("answers loopback peers only (the guard, as a unit: a test cannot connect from elsewhere)", () => {
    const req = (remoteAddress: string): EmulatorRequest => ({ method: "GET", path: "/_admin/calls", rawQuery: "", headers: { host: "127.0.0.1:4566", authorization: "Bearer t0ken-t0ken-t0ken" }, body: Buffer.alloc(0), remoteAddress });
    const opts = { port: 4566, token: "t0ken-t0ken-t0ken" };
    for (const peer of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(guardAdmin(req(peer), opts)).toBeUndefined();
    for (const peer of ["10.0.0.5", "192.168.1.20", "::ffff:10.0.0.5", "fe80::1", "", "127.0.0.1.evil"]) expect(guardAdmin(req(peer), opts)).toMatchObject({ status: 403 });
    expect(isLoopback(undefined)).toBe(false);
  });

  it("exposes the token: on the running emulator, in envFor, and AdminClient reads it from the environment", async () => {
    expect(emu.adminToken).toMatch(/^[\w-]{32}$/);
    expect(envFor(emu)[ADMIN_TOKEN_ENV]).toBe(emu.adminToken);
    const saved = process.env[ADMIN_TOKEN_ENV];
    try {
      process.env[ADMIN_TOKEN_ENV] = emu.adminToken;
      expect(await new AdminClient(emu.url).calls()).toEqual([]);
      process.env[ADMIN_TOKEN_ENV] = "wrong-wrong-wrong-wrong";
      await expect(new AdminClient(emu.url).calls()).rejects.toThrow(/401 AdminTokenRequired/);
    } finally {
      if (saved === undefined) delete process.env[ADMIN_TOKEN_ENV];
      else process.env[ADMIN_TOKEN_ENV] = saved;
    }
    const own = await startEmulator({ adminToken: "my-own-admin-token-0123" });
    try {
      expect(own.adminToken).toBe("my-own-admin-token-0123");
      expect((await own.admin.health()).ok).toBe(true);
      await expect(new AdminClient(own.url, emu.adminToken).reset()).rejects.toThrow(/401/);
    } finally {
      await own.close();
    }
    await expect(startEmulator({ adminToken: "short" })).rejects.toThrow(/adminToken/);
  });
});

describe("admin input is checked before it reaches a model", () => {
  it("Volcengine settings: known keys, right types and shapes, prototype-safe; a refused patch changes nothing", async () => {
    const before = await emu.admin.volcengine.settings();
    const refused: [unknown, RegExp][] = [
      [{ stockOut: 5 }, /Setting stockOut takes a list/],
      [JSON.parse('{"__proto__": {"instanceCreateSeconds": 0}}'), /Unknown setting __proto__; settings are region, zones/],
      [{ constructor: {} }, /Unknown setting constructor/],
      [{ instanceCreateSeconds: -1 }, /Setting instanceCreateSeconds must be a finite number from 0 to/],
      [{ instanceCreateSeconds: "30" }, /Setting instanceCreateSeconds takes a number/],
      [{ imageWhenInstanceReleased: "explodes" }, /is one of completes, fails/],
      [{ stockOut: [{ zoneId: "cn-beijing-a", instanceTypeId: 5 }] }, /Setting stockOut\[0\]\.instanceTypeId takes a string/],
      [{ stockOut: [{ instanceTypeId: "ecs.g3il.large" }] }, /Setting stockOut\[0\] needs zoneId/],
      [{ spotPrices: { "ecs.g3il.large": "cheap" } }, /Setting spotPrices\["ecs.g3il.large"\] takes a number/],
      [{ spotPrices: JSON.parse('{"__proto__": 1}') }, /cannot have an entry named "__proto__"/],
      [{ instanceTypes: { "ecs.x": { cpus: 2 } } }, /Setting instanceTypes\["ecs.x"\] needs memoryMiB/],
      [{ zones: [] }, /Setting zones needs at least 1/],
      [{ instanceDeleteSeconds: 5, zones: "cn-beijing-a" }, /Setting zones takes a list/],
    ];
    for (const [patch, message] of refused) await expect(emu.admin.volcengine.settings(patch as Record<string, unknown>)).rejects.toThrow(message);
    expect(await emu.admin.volcengine.settings()).toEqual(before);
    expect(({} as any).instanceCreateSeconds).toBeUndefined(); // no prototype was touched
    // Still serving, and good patches apply.
    await emu.admin.volcengine.settings({ stockOut: [{ zoneId: "cn-beijing-a" }], spotPrices: { "ecs.g3il.large": 0.2 } });
    expect(((await ecs().ecs("RunInstances", RUN).catch((e) => e)) as CloudError).code).toBe("InsufficientInstanceStock");
    await expect(startEmulator({ volcengine: { stockOut: 5 as any } })).rejects.toThrow(/Setting stockOut takes a list/);
  });

  it("Volcengine admin bodies and fault rules", async () => {
    await expect(emu.admin.volcengine.spotInterruption({ instanceId: "i-x", noticeSeconds: 1e300 })).rejects.toThrow(/400 InvalidParameter .*noticeSeconds must be a finite number/);
    await expect(emu.admin.request("volcengine/release", "POST", {})).rejects.toThrow(/needs instanceId/);
    for (const [rule, message] of [
      [{ kind: "explode" }, /fault.kind is one of throttle, 5xx, latency, drop, lose-response/],
      [{ kind: "drop", rate: 2 }, /fault.rate must be a finite number from 0 to 1/],
      [{ kind: "latency", latencyMs: 1e12 }, /fault.latencyMs/],
      [{ kind: "drop", count: 0.5 }, /fault.count must be/],
      [{ kind: "drop", mode: "timeout" }, /fault.mode applies to kind lose-response only/],
      [{ kind: "lose-response", mode: "later" }, /fault.mode is one of reset, timeout/],
      [{ rate: 1 }, /fault needs kind/],
      [{ kind: "drop", action: { $ne: 1 } }, /fault.action takes a string/],
    ] as [Record<string, unknown>, RegExp][]) {
      await expect(emu.admin.addFault(rule as any)).rejects.toThrow(message);
    }
    expect(await emu.admin.request("faults")).toEqual([]);
    await expect(emu.admin.request("faults?seed=abc", "DELETE")).rejects.toThrow(/seed must be a whole number/);
  });
});
