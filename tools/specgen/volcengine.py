#!/usr/bin/env python3
"""Writes emulator/volcengine/spec.json from the official Volcengine Python SDK models.

Run with the venv's interpreter (npm run specgen does):

    tools/python/.venv/bin/python tools/specgen/volcengine.py

Source of truth: the installed `volcenginesdkecs` and `volcenginesdkstorageebs` packages (swagger-codegen
models). Nothing here is hand-written about the API; every fact comes from, per package:
- `api/*_api.py`: each `*_with_http_info` method's `call_api('/Action/Version/service/method/content_type/',
  …, response_type='XResponse')` and its docstring's `:param XRequest body:` → the actions, their
  service name (the signature's credential scope), HTTP method and encoding;
- `models/*.py`: each model's `swagger_types` and `attribute_map` (wire names and types) and the checks in
  its property setters (`X is None` → required; `X > n` / `X < n` → range; `len(X) …` → length;
  `allowed_values` → enum; `re.search` → pattern), read from the source with `ast`, never executed.

Request parameters are written in the flattened form the GET actions take on the wire (the SDK's
BuildRequestInterceptor.__req_to_params: lists 1-based, nested fields joined with "."): `InstanceIds.N`,
`Tags.N.Key`, `NetworkInterfaces.N.SecurityGroupIds.M`. Response shapes mirror the JSON of `Result`:
objects as objects, lists as one-element lists, leaves as type names.
"""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import sys

PACKAGES = [("volcenginesdkecs", "volcenginesdk-ecs"), ("volcenginesdkstorageebs", "volcenginesdk-storageebs")]
PLACEHOLDERS = ["N", "M", "K", "L", "P"]
PRIMITIVES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "object": "any", "datetime": "string", "date": "string"}
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "emulator", "volcengine", "spec.json")


def package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"specgen: {name} is not installed in this interpreter ({sys.executable}); run npm run setup:python")
    return list(spec.submodule_search_locations)[0]


def literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def number(node: ast.AST):
    v = literal(node)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


class Model:
    """One swagger model class: its fields (python name → (wire name, type)) and setter checks."""

    def __init__(self, name: str, types: dict, wire: dict, checks: dict):
        self.name = name
        self.types = types
        self.wire = wire
        self.checks = checks  # python name → {required, min, max, minLength, maxLength, enum, pattern}


def setter_checks(fn: ast.FunctionDef, attr: str) -> dict:
    """Reads the client-side validation a swagger setter performs before assigning."""
    out: dict = {}
    allowed = None
    for stmt in ast.walk(fn):
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "allowed_values" for t in stmt.targets):
            allowed = literal(stmt.value)
    for stmt in ast.walk(fn):
        if not isinstance(stmt, ast.If):
            continue
        if not any(isinstance(n, ast.Raise) for n in stmt.body):
            continue
        test = stmt.test
        conds = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        for c in conds:
            if isinstance(c, ast.Compare) and len(c.ops) == 1:
                left, op, right = c.left, c.ops[0], c.comparators[0]
                is_attr = isinstance(left, ast.Name) and left.id == attr
                is_len = isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "len" and left.args and isinstance(left.args[0], ast.Name) and left.args[0].id == attr
                if is_attr and isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value is None:
                    out["required"] = True
                elif is_attr and isinstance(op, ast.NotIn) and isinstance(right, ast.Name) and right.id == "allowed_values" and allowed is not None:
                    out["enum"] = allowed
                elif (is_attr or is_len) and number(right) is not None:
                    n = number(right)
                    key = {True: ("maxLength", "minLength"), False: ("max", "min")}[is_len]
                    if isinstance(op, ast.Gt):
                        out[key[0]] = n
                    elif isinstance(op, ast.GtE):
                        out[key[0]] = n - 1 if isinstance(n, int) else n
                        if not isinstance(n, int):
                            out["exclusiveMax"] = True
                    elif isinstance(op, ast.Lt):
                        out[key[1]] = n
                    elif isinstance(op, ast.LtE):
                        out[key[1]] = n + 1 if isinstance(n, int) else n
                        if not isinstance(n, int):
                            out["exclusiveMin"] = True
            elif isinstance(c, ast.UnaryOp) and isinstance(c.op, ast.Not) and isinstance(c.operand, ast.Call):
                call = c.operand
                f = call.func
                # not re.search(r"…", attr)
                if isinstance(f, ast.Attribute) and f.attr in ("search", "match") and call.args and isinstance(call.args[0], ast.Constant):
                    out["pattern"] = call.args[0].value
                # not set(attr).issubset(set(allowed_values))
                if isinstance(f, ast.Attribute) and f.attr == "issubset" and allowed is not None:
                    out["enum"] = allowed
    return out


def load_models(pkg: str) -> dict[str, Model]:
    models: dict[str, Model] = {}
    mdir = os.path.join(package_dir(pkg), "models")
    for fname in sorted(os.listdir(mdir)):
        if not fname.endswith(".py") or fname == "__init__.py":
            continue
        tree = ast.parse(open(os.path.join(mdir, fname), encoding="utf-8").read(), fname)
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            types = wire = None
            checks: dict = {}
            for item in cls.body:
                if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                    if item.targets[0].id == "swagger_types":
                        types = literal(item.value)
                    elif item.targets[0].id == "attribute_map":
                        wire = literal(item.value)
                elif isinstance(item, ast.FunctionDef) and any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in item.decorator_list):
                    arg = item.args.args[1].arg if len(item.args.args) > 1 else item.name
                    found = setter_checks(item, arg)
                    if found:
                        checks[item.name] = found
            if types is not None and wire is not None:
                models[cls.name] = Model(cls.name, types, wire, checks)
    return models


def list_item(t: str) -> str | None:
    m = re.fullmatch(r"list\[(.*)\]", t)
    return m.group(1) if m else None


def dict_value(t: str) -> str | None:
    m = re.fullmatch(r"dict\(([^,]*), (.*)\)", t)
    return m.group(2) if m else None


def flatten_request(models: dict[str, Model], model: Model, prefix: str, depth: int, params: dict, required: list, ctx: str) -> None:
    """Every leaf of `model` as a flat wire parameter; required field paths into `required`."""
    if depth > len(PLACEHOLDERS):
        raise SystemExit(f"specgen: {ctx} nests deeper than the placeholders allow")
    for attr, t in model.types.items():
        name = prefix + model.wire[attr]
        check = dict(model.checks.get(attr, {}))
        if check.pop("required", False):
            required.append(name)
        item = list_item(t)
        if item is not None:
            ph = PLACEHOLDERS[depth]
            if item in PRIMITIVES:
                params[f"{name}.{ph}"] = {"type": PRIMITIVES[item], **check}
            elif item in models:
                flatten_request(models, models[item], f"{name}.{ph}.", depth + 1, params, required, ctx)
            else:
                raise SystemExit(f"specgen: {ctx}: unknown item type {item} of {name}")
        elif t in PRIMITIVES:
            params[name] = {"type": PRIMITIVES[t], **check}
        elif t in models:
            flatten_request(models, models[t], f"{name}.", depth, params, required, ctx)
        elif dict_value(t) is not None:
            # A free-form map: its keys are the caller's; the wire form is `Name.<key>`.
            params[f"{name}.*"] = {"type": PRIMITIVES.get(dict_value(t), "any"), **check}
        else:
            raise SystemExit(f"specgen: {ctx}: unknown type {t} of {name}")


def shape(models: dict[str, Model], t: str, seen: tuple, ctx: str):
    """The JSON shape of a response type: {Wire: shape}, [shape], or a leaf type name."""
    item = list_item(t)
    if item is not None:
        return [shape(models, item, seen, ctx)]
    if t in PRIMITIVES:
        return PRIMITIVES[t]
    value = dict_value(t)
    if value is not None:
        return {"*": shape(models, value, seen, ctx)}
    if t not in models:
        raise SystemExit(f"specgen: {ctx}: unknown response type {t}")
    if t in seen:  # a recursive model: cut at the repeat
        return "any"
    m = models[t]
    return {m.wire[a]: shape(models, ty, seen + (t,), ctx) for a, ty in m.types.items()}


CALL = re.compile(r"^/(?P<action>[A-Za-z0-9]+)/(?P<version>[0-9-]+)/(?P<service>[a-z_0-9]+)/(?P<method>get|post)/(?P<ctype>[a-z_]+)/$")


def actions_of(pkg: str) -> list[dict]:
    api_dir = os.path.join(package_dir(pkg), "api")
    found = []
    for fname in sorted(os.listdir(api_dir)):
        if not fname.endswith("_api.py"):
            continue
        tree = ast.parse(open(os.path.join(api_dir, fname), encoding="utf-8").read(), fname)
        for fn in ast.walk(tree):
            if not (isinstance(fn, ast.FunctionDef) and fn.name.endswith("_with_http_info")):
                continue
            doc = ast.get_docstring(fn) or ""
            body = re.search(r":param (\w+) body:", doc)
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "call_api":
                    path = literal(call.args[0])
                    m = CALL.match(path or "")
                    if not m:
                        raise SystemExit(f"specgen: {fname}:{fn.name}: unexpected call_api path {path!r}")
                    kw = {k.arg: literal(k.value) for k in call.keywords}
                    found.append({**m.groupdict(), "request": body.group(1) if body else None, "response": kw.get("response_type"), "fn": fn.name})
    return found


def build() -> dict:
    out: dict = {"generatedBy": "tools/specgen/volcengine.py", "sources": {}, "services": {}}
    for pkg, dist in PACKAGES:
        out["sources"][dist] = importlib.metadata.version(dist)
        models = load_models(pkg)
        for a in actions_of(pkg):
            ctx = f"{pkg} {a['action']}"
            svc = out["services"].setdefault(a["service"], {"version": a["version"], "actions": {}})
            if svc["version"] != a["version"]:
                raise SystemExit(f"specgen: {ctx}: version {a['version']} differs from {svc['version']}")
            params: dict = {}
            required: list = []
            req = models.get(a["request"] or "")
            if req is None:
                raise SystemExit(f"specgen: {ctx}: request model {a['request']} not found")
            flatten_request(models, req, "", 0, params, required, ctx)
            entry: dict = {"method": a["method"].upper()}
            if a["ctype"] != "text_plain":
                # Sent as a JSON body, not flattened into the query (e.g. storage_ebs CreatePlacementGroup).
                entry["body"] = a["ctype"]
            entry["params"] = {k: (v["type"] if len(v) == 1 else v) for k, v in sorted(params.items())}
            entry["required"] = sorted(required)
            entry["output"] = shape(models, a["response"], (), ctx) if a["response"] else {}
            if a["action"] in svc["actions"]:
                raise SystemExit(f"specgen: {ctx}: action listed twice")
            svc["actions"][a["action"]] = entry
    for svc in out["services"].values():
        svc["actions"] = dict(sorted(svc["actions"].items()))
    return out


def dump(spec: dict) -> str:
    """Compact, one action per line, so that a regenerated spec diffs by action."""
    lines = ["{", f'  "generatedBy": {json.dumps(spec["generatedBy"])},', f'  "sources": {json.dumps(spec["sources"], sort_keys=True)},', '  "services": {']
    services = list(spec["services"].items())
    for si, (name, svc) in enumerate(services):
        lines.append(f'    {json.dumps(name)}: {{"version": {json.dumps(svc["version"])}, "actions": {{')
        acts = list(svc["actions"].items())
        for ai, (action, entry) in enumerate(acts):
            comma = "," if ai < len(acts) - 1 else ""
            lines.append(f"      {json.dumps(action)}: {json.dumps(entry, ensure_ascii=False, separators=(',', ':'))}{comma}")
        lines.append("    }}" + ("," if si < len(services) - 1 else ""))
    lines += ["  }", "}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    # --out PATH writes elsewhere (the tests regenerate into a temporary file and compare).
    if "--out" in sys.argv:
        OUT = os.path.abspath(sys.argv[sys.argv.index("--out") + 1])
    spec = build()
    text = dump(spec)
    json.loads(text)  # what we write must parse
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    counts = ", ".join(f"{k}: {len(v['actions'])} actions" for k, v in spec["services"].items())
    print(f"specgen: wrote {os.path.relpath(OUT, ROOT)} ({counts})")
