#!/usr/bin/env python3
"""Drives the emulator's Alibaba Cloud ECS (with Cloud Assistant) with the official Python SDK
(alibabacloud_ecs20140526.client.Client over alibabacloud_tea_openapi), an independent client: its own
ACS3-HMAC-SHA256 signer (and, once, the legacy RPC v2 one), its own parameter flattening, its typed models.

Every ECS and Cloud Assistant action the emulator serves is called once through its typed method. The
SDK's models (DaraModel.from_map) take any JSON without complaint, so the raw body is also walked against
the same model classes: the fields each model's to_map names, and the types its __init__ annotates — a
field the model does not know, or a JSON type other than the model's, is reported.

RAM has no Python SDK installed here (tools/python/requirements.txt): the role the scene needs is made
through the same official core's generic call_api. Environment (envFor(emu)): ALIBABA_CLOUD_ECS_ENDPOINT,
ALIBABA_CLOUD_RAM_ENDPOINT, ALIBABA_CLOUD_REGION, ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET; the admin API (/_admin/…) steps the emulated clock. Prints one JSON
document: {"sdk", "calls": [{"action", "ok", "problems", "error"}], "refused", "v2"}.
"""
from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import sys
import typing
import urllib.parse
import urllib.request

from alibabacloud_ecs20140526 import models as M
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi import utils_models as open_api
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from darabonba.runtime import RuntimeOptions

ECS_URL = os.environ["ALIBABA_CLOUD_ECS_ENDPOINT"].rstrip("/")
RAM_URL = os.environ.get("ALIBABA_CLOUD_RAM_ENDPOINT", ECS_URL).rstrip("/")
REGION = os.environ.get("ALIBABA_CLOUD_REGION", "cn-hangzhou")
DB = "i-emu-db-linux"


def config(url: str, **extra) -> open_api.Config:
    u = urllib.parse.urlparse(url)
    return open_api.Config(
        access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        region_id=REGION,
        endpoint=u.netloc,
        protocol=u.scheme,
        read_timeout=30000,
        connect_timeout=30000,
        **extra,
    )


class Captured(Client):
    """The ECS client, keeping the raw answer of its last call (before DaraCore.from_map)."""

    last: dict | None = None

    def call_api(self, params, request, runtime):
        res = super().call_api(params, request, runtime)
        Captured.last = res
        return res


# ---- the strict walk: raw JSON against the model classes ------------------------------------------

_fields: dict[type, dict[str, tuple[str, object]]] = {}


def fields(cls: type) -> dict[str, tuple[str, object]]:
    """wire name → (attribute, annotated type) for a DaraModel class, from __init__ and to_map."""
    if cls in _fields:
        return _fields[cls]
    module = sys.modules[cls.__module__]
    hints = typing.get_type_hints(cls.__init__, globalns={**vars(module), "main_models": M})
    hints.pop("return", None)
    base = cls().to_map()
    out: dict[str, tuple[str, object]] = {}
    for attr, t in hints.items():
        probe = cls()
        origin = typing.get_origin(t)
        if origin in (list, typing.List):
            (item,) = typing.get_args(t)
            setattr(probe, attr, [item()] if isinstance(item, type) and hasattr(item, "to_map") else ["x"])
        elif origin in (dict, typing.Dict):
            setattr(probe, attr, {"k": "v"})
        elif isinstance(t, type) and hasattr(t, "to_map"):
            setattr(probe, attr, t())
        else:
            setattr(probe, attr, "__probe__")
        after = probe.to_map()
        changed = [k for k in after if k not in base or after[k] != base[k]]
        if len(changed) != 1:
            raise RuntimeError(f"{cls.__name__}.{attr}: to_map changed {changed}")
        out[changed[0]] = (attr, t)
    _fields[cls] = out
    return out


def strict(value, t, path: str, out: list) -> None:
    if value is None:
        out.append(f"{path}: is null")
        return
    origin = typing.get_origin(t)
    if origin in (list, typing.List):
        if not isinstance(value, list):
            out.append(f"{path}: is {type(value).__name__}, the model says a list")
            return
        (item,) = typing.get_args(t)
        for i, v in enumerate(value):
            strict(v, item, f"{path}[{i}]", out)
        return
    if origin in (dict, typing.Dict) or t is typing.Any or t is object:
        return
    if isinstance(t, type) and hasattr(t, "to_map"):
        if not isinstance(value, dict):
            out.append(f"{path}: is {type(value).__name__}, the model says {t.__name__}")
            return
        known = fields(t)
        for k, v in value.items():
            if k not in known:
                out.append(f"{path}.{k}: is not in {t.__name__}")
            else:
                strict(v, known[k][1], f"{path}.{k}", out)
        return
    ok = {str: isinstance(value, str), int: isinstance(value, int) and not isinstance(value, bool), float: isinstance(value, (int, float)) and not isinstance(value, bool), bool: isinstance(value, bool)}.get(t, True)
    if not ok:
        out.append(f"{path}: is {type(value).__name__} {json.dumps(value)[:60]}, the model says {getattr(t, '__name__', t)}")


# ---- the run ----------------------------------------------------------------------------------

results: list[dict] = []


def call(client: Captured, method: str, request):
    action = type(request).__name__[: -len("Request")]
    Captured.last = None
    entry: dict = {"action": action, "ok": False, "problems": []}
    results.append(entry)
    try:
        res = getattr(client, method)(request)
    except Exception as e:
        entry["error"] = f"{type(e).__name__}: {getattr(e, 'code', '')} {getattr(e, 'message', e)}"
        return None
    raw = (Captured.last or {}).get("body")
    body_cls = getattr(M, f"{action}ResponseBody")
    strict(raw, body_cls, "body", entry["problems"])
    if not isinstance(res.body, body_cls):
        entry["problems"].append(f"the SDK did not build a {body_cls.__name__}")
    if res.status_code != 200:
        entry["problems"].append(f"HTTP {res.status_code}")
    entry["ok"] = not entry["problems"]
    return res.body


def admin(path: str, body: dict) -> dict:
    req = urllib.request.Request(f"{ECS_URL}/_admin/{path}", method="POST", data=json.dumps(body).encode(), headers={"content-type": "application/json", "authorization": "Bearer " + os.environ.get("PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN", "")})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def ram(action: str, query: dict) -> dict:
    """A RAM call through the official core's generic call_api (no RAM Python SDK is installed)."""
    client = OpenApiClient(config(RAM_URL))
    params = open_api.Params(action=action, version="2015-05-01", protocol="HTTP", pathname="/", method="POST", auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    return client.call_api(params, open_api.OpenApiRequest(query=query), RuntimeOptions())


def main() -> None:
    ecs = Captured(config(ECS_URL))
    trust = json.dumps({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}], "Version": "1"})
    policy = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"], "Resource": ["*"]}]})
    ram("CreateRole", {"RoleName": "py", "AssumeRolePolicyDocument": trust})
    ram("CreatePolicy", {"PolicyName": "py-policy", "PolicyDocument": policy})
    ram("AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": "py-policy", "RoleName": "py"})

    described = call(ecs, "describe_instances", M.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([DB])))
    # Characters the SDKs' URL builders and signers treat differently (space, * ( ) ! ' : /).
    if call(ecs, "describe_instances", M.DescribeInstancesRequest(region_id=REGION, instance_name="py sdk*(x)!'a:b/c")) is not None:
        results[-1]["action"] = "DescribeInstances (odd characters)"
    call(ecs, "describe_disks", M.DescribeDisksRequest(region_id=REGION, instance_id=DB))
    call(ecs, "attach_instance_ram_role", M.AttachInstanceRamRoleRequest(region_id=REGION, ram_role_name="py", instance_ids=json.dumps([DB])))
    call(ecs, "describe_instance_ram_role", M.DescribeInstanceRamRoleRequest(region_id=REGION, instance_ids=json.dumps([DB])))

    plugin = "acs-plugin-manager --exec --plugin app-snapshot-plugin --params='-RamRoleName=\"py\",-Name=\"py-group\"'"
    run = call(ecs, "run_command", M.RunCommandRequest(region_id=REGION, type="RunShellScript", command_content=base64.b64encode(plugin.encode()).decode(), content_encoding="Base64", instance_id=[DB], timeout=600, parameters={"unused": "x"}, tag=[M.RunCommandRequestTag(key="k", value="v")]))
    admin("clock", {"advanceSeconds": 10})
    group_id = None
    if run is not None:
        res = call(ecs, "describe_invocation_results", M.DescribeInvocationResultsRequest(region_id=REGION, invoke_id=run.invoke_id))
        if res is not None and res.invocation.invocation_results.invocation_result:
            r = res.invocation.invocation_results.invocation_result[0]
            results[-1]["status"] = r.invocation_status
            results[-1]["exitCode"] = r.exit_code
            out = base64.b64decode(r.output or "").decode()
            group_id = out.split('snapshotgroup="', 1)[1].split('"', 1)[0] if 'snapshotgroup="' in out else None
        call(ecs, "describe_invocations", M.DescribeInvocationsRequest(region_id=REGION, invoke_id=run.invoke_id, include_output=True))
    pending = call(ecs, "run_command", M.RunCommandRequest(region_id=REGION, type="RunShellScript", command_content="echo", instance_id=[DB]))
    if pending is not None:
        call(ecs, "stop_invocation", M.StopInvocationRequest(region_id=REGION, invoke_id=pending.invoke_id, instance_id=[DB]))

    admin("clock", {"advanceSeconds": 60})
    made = call(ecs, "create_snapshot_group", M.CreateSnapshotGroupRequest(region_id=REGION, instance_id=DB, name="py-direct", tag=[M.CreateSnapshotGroupRequestTag(key="k", value="v")]))
    admin("clock", {"advanceSeconds": 60})
    groups = call(ecs, "describe_snapshot_groups", M.DescribeSnapshotGroupsRequest(region_id=REGION, instance_id=DB))
    if groups is not None:
        results[-1]["groups"] = sorted(g.snapshot_group_id for g in groups.snapshot_groups.snapshot_group)
    call(ecs, "describe_snapshots", M.DescribeSnapshotsRequest(region_id=REGION, instance_id=DB))
    if made is not None:
        call(ecs, "delete_snapshot_group", M.DeleteSnapshotGroupRequest(region_id=REGION, snapshot_group_id=made.snapshot_group_id))
    call(ecs, "detach_instance_ram_role", M.DetachInstanceRamRoleRequest(region_id=REGION, ram_role_name="py", instance_ids=json.dumps([DB])))

    # A periodic invocation (RepeatMode Period, a rate), its runs with IncludeHistory, its schedule changed in
    # place, a tag added and removed, then stopped.
    periodic = call(ecs, "run_command", M.RunCommandRequest(region_id=REGION, type="RunShellScript", command_content="echo tick", instance_id=[DB], repeat_mode="Period", frequency="rate(5m)", timeout=60))
    if periodic is not None:
        admin("clock", {"advanceSeconds": 11 * 60})
        hist = call(ecs, "describe_invocation_results", M.DescribeInvocationResultsRequest(region_id=REGION, invoke_id=periodic.invoke_id, include_history=True))
        if hist is not None:
            results[-1]["action"] = "DescribeInvocationResults (IncludeHistory)"
            results[-1]["repeats"] = [r.repeats for r in hist.invocation.invocation_results.invocation_result]
        call(ecs, "modify_invocation_attribute", M.ModifyInvocationAttributeRequest(region_id=REGION, invoke_id=periodic.invoke_id, frequency="0 0 2 * * ? Asia/Shanghai"))
        call(ecs, "tag_resources", M.TagResourcesRequest(region_id=REGION, resource_type="invocation", resource_id=[periodic.invoke_id], tag=[M.TagResourcesRequestTag(key="policy", value="py")]))
        call(ecs, "untag_resources", M.UntagResourcesRequest(region_id=REGION, resource_type="invocation", resource_id=[periodic.invoke_id], tag_key=["policy"]))
        listed = call(ecs, "describe_invocations", M.DescribeInvocationsRequest(region_id=REGION, invoke_id=periodic.invoke_id))
        if listed is not None:
            results[-1]["action"] = "DescribeInvocations (periodic)"
            inv = listed.invocations.invocation[0]
            results[-1]["periodic"] = {"repeatMode": inv.repeat_mode, "frequency": inv.frequency, "timed": inv.timed, "tags": len(inv.tags.tag)}
        call(ecs, "stop_invocation", M.StopInvocationRequest(region_id=REGION, invoke_id=periodic.invoke_id))

    # An automatic snapshot policy: lower-camel wire names, JSON-array values; applied, changed, listed,
    # its snapshot taken at its time point (UTC+8), cancelled, deleted.
    disks = [d.disk_id for d in (call(ecs, "describe_disks", M.DescribeDisksRequest(region_id=REGION, instance_id=DB)) or M.DescribeDisksResponseBody()).disks.disk]
    sp = call(ecs, "create_auto_snapshot_policy", M.CreateAutoSnapshotPolicyRequest(region_id=REGION, auto_snapshot_policy_name="py-nightly", time_points='["0","12"]', repeat_weekdays='["1","2","3","4","5","6","7"]', retention_days=3, tag=[M.CreateAutoSnapshotPolicyRequestTag(key="k", value="v")]))
    auto = {}
    if sp is not None:
        call(ecs, "apply_auto_snapshot_policy", M.ApplyAutoSnapshotPolicyRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id, disk_ids=json.dumps(disks)))
        call(ecs, "modify_auto_snapshot_policy_ex", M.ModifyAutoSnapshotPolicyExRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id, retention_days=5))
        listed = call(ecs, "describe_auto_snapshot_policy_ex", M.DescribeAutoSnapshotPolicyExRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id))
        if listed is not None:
            p = listed.auto_snapshot_policies.auto_snapshot_policy[0]
            auto = {"timePoints": p.time_points, "retentionDays": p.retention_days, "diskNums": p.disk_nums, "status": p.status}
        call(ecs, "describe_auto_snapshot_policy_associations", M.DescribeAutoSnapshotPolicyAssociationsRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id))
        admin("clock", {"advanceSeconds": 13 * 3600})
        snaps = call(ecs, "describe_snapshots", M.DescribeSnapshotsRequest(region_id=REGION, snapshot_type="auto"))
        if snaps is not None:
            results[-1]["action"] = "DescribeSnapshots (auto)"
            auto["snapshots"] = len(snaps.snapshots.snapshot)
            if snaps.snapshots.snapshot:
                call(ecs, "delete_snapshot", M.DeleteSnapshotRequest(snapshot_id=snaps.snapshots.snapshot[0].snapshot_id))
        call(ecs, "cancel_auto_snapshot_policy", M.CancelAutoSnapshotPolicyRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id, disk_ids=json.dumps(disks[:1])))
        call(ecs, "delete_auto_snapshot_policy", M.DeleteAutoSnapshotPolicyRequest(region_id=REGION, auto_snapshot_policy_id=sp.auto_snapshot_policy_id))

    # A refused request reaches the SDK as its exception, with the gateway's code and status.
    refused = None
    try:
        ecs.describe_snapshot_groups(M.DescribeSnapshotGroupsRequest(instance_id=DB))  # no RegionId
    except Exception as e:
        refused = {"code": getattr(e, "code", None), "status": getattr(e, "status_code", None) or (getattr(e, "data", None) or {}).get("statusCode")}

    # The legacy RPC v2 (HMAC-SHA1) signer of the same SDK.
    v2 = Captured(config(ECS_URL, signature_algorithm="v2"))
    v2_result = None
    try:
        body = v2.describe_instances(M.DescribeInstancesRequest(region_id=REGION)).body
        v2_result = {"ok": True, "total": body.total_count}
    except Exception as e:
        v2_result = {"ok": False, "error": f"{type(e).__name__}: {getattr(e, 'code', '')} {getattr(e, 'message', e)}"}

    spot_result = spot(ecs)
    print(json.dumps({"sdk": versions(), "calls": results, "plugin": {"groupId": group_id}, "auto": auto, "instances": [i.instance_id for i in described.instances.instance] if described else None, "refused": refused, "v2": v2_result, "spot": spot_result}))


def spot(ecs: Captured) -> dict:
    """Spot recovery's actions: a preemptible instance, its Recycling lock, an image of every disk, a relaunch
    from it, tags, a saved command invoked on it, and everything deleted again."""
    out: dict = {}
    run = call(ecs, "run_instances", M.RunInstancesRequest(
        region_id=REGION, image_id="aliyun_3_x64_20G_alibase_20240819.vhd", instance_type="ecs.g7.large", v_switch_id="vsw-emu-cn-hangzhou-h",
        security_group_ids=["sg-emu-default"], instance_name="py-spot", password="Py-Spot-Passw0rd", spot_strategy="SpotWithPriceLimit", spot_price_limit=0.5,
        user_data=base64.b64encode(b"#!/bin/sh\necho py\n").decode(), system_disk=M.RunInstancesRequestSystemDisk(category="cloud_essd", size=40),
        data_disk=[M.RunInstancesRequestDataDisk(category="cloud_essd", size=50, delete_with_instance=False)], tag=[M.RunInstancesRequestTag(key="app", value="py")]))
    if run is None:
        return out
    iid = run.instance_id_sets.instance_id_set[0]
    admin("clock", {"advanceSeconds": 60})
    call(ecs, "describe_user_data", M.DescribeUserDataRequest(region_id=REGION, instance_id=iid))
    call(ecs, "tag_resources", M.TagResourcesRequest(region_id=REGION, resource_type="instance", resource_id=[iid], tag=[M.TagResourcesRequestTag(key="pulumi-recovery:policy", value="on=image-and-relaunch keep=2")]))
    listed = call(ecs, "list_tag_resources", M.ListTagResourcesRequest(region_id=REGION, resource_type="instance", tag=[M.ListTagResourcesRequestTag(key="pulumi-recovery:policy")]))
    out["tagged"] = sorted({t.resource_id for t in listed.tag_resources.tag_resource}) if listed else None
    admin("alicloud/preemption", {"instanceId": iid})
    locked = call(ecs, "describe_instances", M.DescribeInstancesRequest(region_id=REGION, lock_reason="Recycling", max_results=10))
    out["locked"] = [[i.instance_id, [l.lock_reason for l in i.operation_locks.lock_reason]] for i in locked.instances.instance] if locked else None
    image = call(ecs, "create_image", M.CreateImageRequest(region_id=REGION, instance_id=iid, image_name="py-point", client_token="py-point-1", tag=[M.CreateImageRequestTag(key="pulumi-recovery:source", value=iid)]))
    if image is None:
        return out
    default = call(ecs, "describe_images", M.DescribeImagesRequest(region_id=REGION, image_id=image.image_id))
    out["listedByDefaultWhileCreating"] = len(default.images.image) if default else None
    admin("clock", {"advanceSeconds": 200})
    images = call(ecs, "describe_images", M.DescribeImagesRequest(region_id=REGION, image_owner_alias="self", status="Creating,Available", tag=[M.DescribeImagesRequestTag(key="pulumi-recovery:source", value=iid)]))
    img = images.images.image[0] if images and images.images.image else None
    out["image"] = {"status": img.status, "disks": [[d.type, d.size] for d in img.disk_device_mappings.disk_device_mapping]} if img else None
    again = call(ecs, "run_instances", M.RunInstancesRequest(
        region_id=REGION, image_id=image.image_id, instance_type="ecs.g7.large", v_switch_id="vsw-emu-cn-hangzhou-h", security_group_ids=["sg-emu-default"],
        password_inherit=True, spot_strategy="SpotAsPriceGo", client_token="py-relaunch-1", data_disk=[M.RunInstancesRequestDataDisk(device="/dev/xvdb", category="cloud_auto", size=60)]))
    rid = again.instance_id_sets.instance_id_set[0] if again else None
    admin("clock", {"advanceSeconds": 60})
    cmd = call(ecs, "create_command", M.CreateCommandRequest(region_id=REGION, name="py-hook", type="RunShellScript", command_content=base64.b64encode(b"sync").decode(), timeout=30, tag=[M.CreateCommandRequestTag(key="k", value="v")]))
    if cmd is not None:
        call(ecs, "describe_commands", M.DescribeCommandsRequest(region_id=REGION, tag=[M.DescribeCommandsRequestTag(key="k", value="v")]))
        call(ecs, "modify_command", M.ModifyCommandRequest(region_id=REGION, command_id=cmd.command_id, command_content=base64.b64encode(b"sync; sync").decode()))
        if rid:
            inv = call(ecs, "invoke_command", M.InvokeCommandRequest(region_id=REGION, command_id=cmd.command_id, instance_id=[rid], timeout=30))
            admin("clock", {"advanceSeconds": 30})
            if inv is not None:
                res = call(ecs, "describe_invocation_results", M.DescribeInvocationResultsRequest(region_id=REGION, invoke_id=inv.invoke_id))
                out["hook"] = res.invocation.invocation_results.invocation_result[0].invocation_status if res else None
        call(ecs, "delete_command", M.DeleteCommandRequest(region_id=REGION, command_id=cmd.command_id))
    call(ecs, "untag_resources", M.UntagResourcesRequest(region_id=REGION, resource_type="instance", resource_id=[iid], tag_key=["pulumi-recovery:policy"]))
    if rid:
        call(ecs, "delete_instances", M.DeleteInstancesRequest(region_id=REGION, instance_id=[rid], force=True))
    call(ecs, "delete_instance", M.DeleteInstanceRequest(instance_id=iid, force=True))
    call(ecs, "delete_image", M.DeleteImageRequest(region_id=REGION, image_id=image.image_id, force=True))
    for d in (img.disk_device_mappings.disk_device_mapping if img else []):
        call(ecs, "delete_snapshot", M.DeleteSnapshotRequest(snapshot_id=d.snapshot_id, force=True))
    admin("clock", {"advanceSeconds": 30})
    return out


def versions() -> dict:
    return {d: importlib.metadata.version(d) for d in ("alibabacloud_ecs20140526", "alibabacloud_tea_openapi")}


def self_test() -> None:
    """The strict walk finds what it should in bodies that are wrong on purpose (run with --self-test)."""
    found: list = []
    strict({"Foo": 1, "TotalCount": "2", "Instances": {"Instance": [{"InstanceId": 5, "Tags": {"Tag": [{"Bar": 1}]}}]}}, M.DescribeInstancesResponseBody, "body", found)
    clean: list = []
    strict({"TotalCount": 2, "Instances": {"Instance": [{"InstanceId": "i-1", "Cpu": 2, "Tags": {"Tag": [{"TagKey": "a", "TagValue": "b"}]}}]}}, M.DescribeInstancesResponseBody, "body", clean)
    print(json.dumps({"found": found, "clean": clean}))


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
        sys.exit(0)
    try:
        main()
    except Exception as e:
        print(json.dumps({"sdk": versions(), "calls": results, "fatal": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
