// The provider objects Pulumi serializes into state (`__provider`) for every dynamic resource.
// They are deliberately tiny: each method loads the real implementation by package name at run time.
// So state never holds our code, an SDK, a client or a credential; `refresh`/`destroy` of old state
// run the installed package's code, which must therefore keep reading every older state shape; and
// this shim's text must never change in a way older states cannot follow (the module path
// "pulumi-recovery/dist/provider/runtime" and the method signatures are a contract).
import type * as pulumi from "@pulumi/pulumi";

export function dynamicProvider(kind: string): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      require("pulumi-recovery/dist/provider/runtime").configure(this, req);
    },
    async check(olds, news) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      return rt.handler(kind).check(olds, news, rt.context(this));
    },
    async diff(id, olds, news) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      return rt.handler(kind).diff(id, olds, news, rt.context(this));
    },
    async create(inputs) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      return rt.handler(kind).create(inputs, rt.context(this));
    },
    async read(id, props) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      return rt.handler(kind).read(id, props, rt.context(this));
    },
    async update(id, olds, news) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      const h = rt.handler(kind);
      if (!h.update) throw new Error(`${kind} has no in-place update; this change should have been a replacement`);
      return h.update(id, olds, news, rt.context(this));
    },
    async delete(id, props) {
      const rt = require("pulumi-recovery/dist/provider/runtime");
      return rt.handler(kind).delete(id, props, rt.context(this));
    },
  };
}
