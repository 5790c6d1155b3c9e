#!/usr/bin/env python3
"""Helper of tools/specgen/alicloud.ts: which numeric fields of the ECS 2014-05-26 models are integers.

The TypeScript models (@alicloud/ecs20140526) type every number as 'number'; the Python models of the same
API (alibabacloud_ecs20140526) keep the API metadata's distinction (`int` for Integer/Long, `float` for
Float/Double) in their `__init__` annotations. Printed as JSON on stdout:

    {"version": "7.11.8", "classes": {"DescribeInstancesRequest": {"PageSize": "int", …}, …}}

keyed by class name and wire name (each model's `to_map`: `result['Wire'] = self.attr`). Read with `ast`,
never imported. Run with the venv's interpreter.
"""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import sys

spec = importlib.util.find_spec("alibabacloud_ecs20140526")
if spec is None or not spec.submodule_search_locations:
    sys.exit(f"alicloud_numbers: alibabacloud_ecs20140526 is not installed in {sys.executable}; run npm run setup:python")
models_dir = os.path.join(list(spec.submodule_search_locations)[0], "models")

NUMERIC = {"int": "int", "float": "float", "List[int]": "int", "List[float]": "float"}


def wire_names(fn: ast.FunctionDef) -> dict[str, str]:
    """attr → wire name, from `if self.attr is not None: result['Wire'] = …` (and the list form)."""
    out: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and isinstance(node.test.left, ast.Attribute):
            attr = node.test.left.attr
            for stmt in ast.walk(node):
                if isinstance(stmt, (ast.Assign, ast.Expr)):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else None
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == "result" and isinstance(target.slice, ast.Constant):
                        out.setdefault(attr, target.slice.value)
    return out


classes: dict[str, dict[str, str]] = {}
for fname in sorted(os.listdir(models_dir)):
    if not fname.endswith(".py") or fname == "__init__.py":
        continue
    tree = ast.parse(open(os.path.join(models_dir, fname), encoding="utf-8").read(), fname)
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
        to_map = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "to_map"), None)
        if init is None or to_map is None:
            continue
        wire = wire_names(to_map)
        nums = {}
        for arg in init.args.args[1:]:
            ann = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            if ann in NUMERIC and arg.arg in wire:
                nums[wire[arg.arg]] = NUMERIC[ann]
        if nums:
            classes[cls.name] = nums

json.dump({"version": importlib.metadata.version("alibabacloud_ecs20140526"), "classes": classes}, sys.stdout, sort_keys=True)
