#!/usr/bin/env python3
"""Drives the emulator's Volcengine ECS with the official Python SDK (volcenginesdkecs.ECSApi), an
independent client: its own request building (BuildRequestInterceptor), its own signer (SignerV4, which
signs content-type, host and every X-* header, the X-Sdk-* ones included, unlike the Node SDK) and its
typed response models.

Every served action is called once through its typed method; the SDK deserialises the Result into its
model (refusing, e.g., a non-number where an int is due). The raw Result is also walked against the same
model classes (`swagger_types` / `attribute_map`), so a field the model does not know, or a JSON type other
than the model's, is reported rather than silently dropped or coerced.

Environment (envFor(emu)): VOLCENGINE_ENDPOINT, VOLCENGINE_REGION, VOLCENGINE_ACCESS_KEY,
VOLCENGINE_SECRET_KEY. The emulator's admin API (same endpoint, /_admin/…) sets the scene: clock steps and
a spot interruption. Prints one JSON document: {"sdk": {...}, "calls": [{"action", "ok", "problems",
"error"}], "storage_ebs": {...}}. Exit code 0 when the run completed (the verdict is in the JSON).
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import urllib.request

import volcenginesdkcore
import volcenginesdkecs
import volcenginesdkstorageebs
from volcenginesdkcore.interceptor import ResponseInterceptor
from volcenginesdkcore.rest import ApiException

ENDPOINT = os.environ["VOLCENGINE_ENDPOINT"].rstrip("/")
REGION = os.environ.get("VOLCENGINE_REGION", "cn-beijing")


class RawCapture(ResponseInterceptor):
    """Keeps the raw JSON body of the last response, before the SDK deserialises it."""

    last = None

    def name(self):
        return "conformance-raw-capture"

    def intercept(self, context):
        data = context.response.http_response.data
        RawCapture.last = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
        return context


def api_client() -> volcenginesdkcore.ApiClient:
    conf = volcenginesdkcore.Configuration()
    conf.ak = os.environ["VOLCENGINE_ACCESS_KEY"]
    conf.sk = os.environ["VOLCENGINE_SECRET_KEY"]
    conf.region = REGION
    conf.host = ENDPOINT  # "http://127.0.0.1:PORT": the SDK takes the scheme from it
    conf.auto_retry = False  # a conformance run must see the first answer
    client = volcenginesdkcore.ApiClient(conf)
    client.interceptor_chain.insert_response_interceptor(RawCapture(), "")
    return client


PRIMITIVE = {"str": str, "int": int, "float": (int, float), "bool": bool}


def strict(value, t: str, models, path: str, out: list) -> None:
    """The raw JSON `value` against swagger type `t` (as the model classes declare it)."""
    if value is None:
        out.append(f"{path}: is null")
        return
    if t.startswith("list["):
        if not isinstance(value, list):
            out.append(f"{path}: is {type(value).__name__}, the model says {t}")
            return
        for i, v in enumerate(value):
            strict(v, t[5:-1], models, f"{path}[{i}]", out)
        return
    if t.startswith("dict("):
        if not isinstance(value, dict):
            out.append(f"{path}: is {type(value).__name__}, the model says {t}")
            return
        inner = t[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            strict(v, inner, models, f"{path}.{k}", out)
        return
    if t == "object":
        return
    if t in PRIMITIVE:
        ok = isinstance(value, PRIMITIVE[t]) and not (t in ("int", "float") and isinstance(value, bool))
        if not ok:
            out.append(f"{path}: is {type(value).__name__} {json.dumps(value)[:60]}, the model says {t}")
        return
    cls = getattr(models, t)
    if not isinstance(value, dict):
        out.append(f"{path}: is {type(value).__name__}, the model says {t}")
        return
    wire = {w: a for a, w in cls.attribute_map.items()}
    for k, v in value.items():
        if k not in wire:
            out.append(f"{path}.{k}: is not in {t}")
        else:
            strict(v, cls.swagger_types[wire[k]], models, f"{path}.{k}", out)


results: list[dict] = []


def call(api, method: str, request, models, response_type: str):
    """One typed call; records the verdict and returns the deserialised model (or None on error)."""
    action = type(request).__name__[: -len("Request")]
    RawCapture.last = None
    entry: dict = {"action": action, "ok": False, "problems": []}
    results.append(entry)
    try:
        model = getattr(api, method)(request)
    except ApiException as e:
        entry["error"] = f"ApiException {e.status} {error_code(e)}"
        return None
    except Exception as e:  # the typed models refusing the body, a signature refused …
        entry["error"] = f"{type(e).__name__}: {e}"
        return None
    raw = RawCapture.last or {}
    meta = raw.get("ResponseMetadata", {})
    for k in ("RequestId", "Action", "Version", "Service", "Region"):
        if k not in meta:
            entry["problems"].append(f"ResponseMetadata.{k}: missing")
    if meta.get("Action") != action:
        entry["problems"].append(f"ResponseMetadata.Action: {meta.get('Action')!r}, not {action}")
    strict(raw.get("Result"), response_type, models, "Result", entry["problems"])
    cls = getattr(models, response_type)
    # A model without fields (an empty Result) comes back as the dict itself (__deserialize_model).
    if not (isinstance(model, cls) or (not cls.swagger_types and isinstance(model, dict))):
        entry["problems"].append(f"the SDK did not build a {response_type}")
    entry["ok"] = not entry["problems"]
    return model


def error_code(e: ApiException) -> str | None:
    """The cloud's code from an ApiException: in the body for HTTP errors, in `reason` for 200-with-Error."""
    for text in (e.body, e.reason):
        try:
            return json.loads(text)["ResponseMetadata"]["Error"]["Code"]
        except Exception:
            pass
        if isinstance(text, str) and "'Code': '" in text:
            return text.split("'Code': '", 1)[1].split("'", 1)[0]
    return None


def admin(path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"{ENDPOINT}/_admin/{path}", method="POST" if body is not None else "GET", data=json.dumps(body).encode() if body is not None else None, headers={"content-type": "application/json", "authorization": "Bearer " + os.environ.get("PULUMI_RECOVERY_EMULATOR_ADMIN_TOKEN", "")})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def main() -> None:
    client = api_client()
    ecs = volcenginesdkecs.ECSApi(client)
    m = volcenginesdkecs
    mm = volcenginesdkecs.models

    run = call(
        ecs,
        "run_instances",
        m.RunInstancesRequest(
            zone_id="cn-beijing-a",
            image_id="image-ubuntu2204-emu",
            instance_type_id="ecs.g3il.large",
            instance_name="python-sdk",
            hostname="python-sdk-1",
            spot_strategy="SpotAsPriceGo",
            count=1,
            network_interfaces=[m.NetworkInterfaceForRunInstancesInput(subnet_id="subnet-emu-cn-beijing-a", security_group_ids=["sg-emu-default"])],
            volumes=[m.VolumeForRunInstancesInput(volume_type="ESSD_PL0", size=40), m.VolumeForRunInstancesInput(volume_type="ESSD_PL0", size=20, delete_with_instance="true")],
            tags=[m.TagForRunInstancesInput(key="team", value="sre")],
        ),
        mm,
        "RunInstancesResponse",
    )
    if run is None:
        print(json.dumps({"sdk": versions(), "calls": results}))
        return
    instance_id = run.instance_ids[0]
    admin("clock", {"advanceSeconds": 120})
    described = call(ecs, "describe_instances", m.DescribeInstancesRequest(instance_ids=[instance_id]), mm, "DescribeInstancesResponse")
    if described is not None:
        results[-1]["status"] = described.instances[0].status if described.instances else None
    # Characters the two SDKs' URL builders and signers treat differently (space, * ( ) ! ' : /).
    odd = call(ecs, "describe_instances", m.DescribeInstancesRequest(instance_name="py sdk*(x)!'a:b/c"), mm, "DescribeInstancesResponse")
    if odd is not None:
        results[-1]["action"] = "DescribeInstances (odd characters)"
    call(ecs, "modify_instance_attribute", m.ModifyInstanceAttributeRequest(instance_id=instance_id, instance_name="python-sdk-2"), mm, "ModifyInstanceAttributeResponse")
    call(ecs, "create_tags", m.CreateTagsRequest(resource_type="instance", resource_ids=[instance_id], tags=[m.TagForCreateTagsInput(key="tier", value="web")]), mm, "CreateTagsResponse")
    call(ecs, "describe_tags", m.DescribeTagsRequest(resource_type="instance", resource_ids=[instance_id]), mm, "DescribeTagsResponse")
    call(ecs, "delete_tags", m.DeleteTagsRequest(resource_type="instance", resource_ids=[instance_id], tag_keys=["tier"]), mm, "DeleteTagsResponse")
    image = call(ecs, "create_image", m.CreateImageRequest(instance_id=instance_id, image_name="python-sdk-image"), mm, "CreateImageResponse")
    if image is not None:
        call(ecs, "describe_images", m.DescribeImagesRequest(image_ids=[image.image_id], status=["creating", "available"]), mm, "DescribeImagesResponse")
        admin("clock", {"advanceSeconds": 3600})
        call(ecs, "delete_images", m.DeleteImagesRequest(image_ids=[image.image_id]), mm, "DeleteImagesResponse")
    call(ecs, "describe_user_data", m.DescribeUserDataRequest(instance_id=instance_id), mm, "DescribeUserDataResponse")

    # storage_ebs (its own credential scope): volumes, a snapshot, a snapshot group, an image of a snapshot.
    ebs = volcenginesdkstorageebs.STORAGEEBSApi(client)
    e, em = volcenginesdkstorageebs, volcenginesdkstorageebs.models
    vols = call(ebs, "describe_volumes", e.DescribeVolumesRequest(instance_id=instance_id, page_number=1, page_size=10), em, "DescribeVolumesResponse")
    volume_ids = [v.volume_id for v in (vols.volumes or [])] if vols is not None else []
    system = next((v.volume_id for v in (vols.volumes or []) if v.kind == "system"), None) if vols is not None else None
    snap = call(ebs, "create_snapshot", e.CreateSnapshotRequest(volume_id=system, snapshot_name="py-snap"), em, "CreateSnapshotResponse") if system else None
    group = call(ebs, "create_snapshot_group", e.CreateSnapshotGroupRequest(instance_id=instance_id, volume_ids=volume_ids, name="py-group", client_token="py-group-1"), em, "CreateSnapshotGroupResponse")
    admin("clock", {"advanceSeconds": 7200})
    call(ebs, "describe_snapshots", e.DescribeSnapshotsRequest(page_number=1, page_size=10), em, "DescribeSnapshotsResponse")
    call(ebs, "describe_snapshot_groups", e.DescribeSnapshotGroupsRequest(instance_id=instance_id), em, "DescribeSnapshotGroupsResponse")
    if group is not None:
        # An image of the whole group, copied to another region of the account (CopyImage).
        from_group = call(ecs, "create_image", m.CreateImageRequest(snapshot_group_id=group.snapshot_group_id, image_name="py-from-group"), mm, "CreateImageResponse")
        if from_group is not None:
            results[-1]["action"] = "CreateImage (from a snapshot group)"
            admin("clock", {"advanceSeconds": 3600})
            call(ecs, "copy_image", m.CopyImageRequest(image_id=from_group.image_id, image_name="py-copy", destination_region="cn-shanghai", copy_image_tags=True, tags=[m.TagForCopyImageInput(key="dr", value="yes")]), mm, "CopyImageResponse")
            admin("clock", {"advanceSeconds": 3600})
            call(ecs, "delete_images", m.DeleteImagesRequest(image_ids=[from_group.image_id], delete_binded_snapshots=False), mm, "DeleteImagesResponse")

    # Automatic snapshot policies: create, apply, modify, let it fire, describe, tag, cancel, delete.
    policy = call(
        ebs,
        "create_auto_snapshot_policy",
        e.CreateAutoSnapshotPolicyRequest(auto_snapshot_policy_name="py-policy", time_points=["1", "13"], repeat_weekdays=["1", "5"], retention_days=3, tags=[e.TagForCreateAutoSnapshotPolicyInput(key="team", value="sre")]),
        em,
        "CreateAutoSnapshotPolicyResponse",
    )
    if policy is not None:
        pid = policy.auto_snapshot_policy_id
        call(ebs, "apply_auto_snapshot_policy", e.ApplyAutoSnapshotPolicyRequest(auto_snapshot_policy_id=pid, volume_ids=volume_ids), em, "ApplyAutoSnapshotPolicyResponse")
        call(ebs, "modify_auto_snapshot_policy", e.ModifyAutoSnapshotPolicyRequest(auto_snapshot_policy_id=pid, repeat_days=1, retention_days=2), em, "ModifyAutoSnapshotPolicyResponse")
        admin("clock", {"advanceSeconds": 2 * 86400})
        described = call(ebs, "describe_auto_snapshot_policy", e.DescribeAutoSnapshotPolicyRequest(auto_snapshot_policy_ids=[pid], page_number=1, page_size=10), em, "DescribeAutoSnapshotPolicyResponse")
        if described is not None:
            results[-1]["volumeNums"] = described.auto_snapshot_policies[0].volume_nums
        auto = call(ebs, "describe_snapshots", e.DescribeSnapshotsRequest(page_number=1, page_size=100), em, "DescribeSnapshotsResponse")
        if auto is not None:
            results[-1]["action"] = "DescribeSnapshots (after the policy fired)"
            results[-1]["autoSnapshots"] = len([x for x in auto.snapshots or [] if x.snapshot_type == "auto"])
        call(ebs, "create_tags", e.CreateTagsRequest(resource_type="snapshotpolicy", resource_ids=[pid], tags=[e.TagForCreateTagsInput(key="tier", value="db")]), em, "CreateTagsResponse")
        call(ebs, "delete_tags", e.DeleteTagsRequest(resource_type="snapshotpolicy", resource_ids=[pid], tag_keys=["tier"]), em, "DeleteTagsResponse")
        call(ebs, "cancel_auto_snapshot_policy", e.CancelAutoSnapshotPolicyRequest(auto_snapshot_policy_id=pid, volume_ids=volume_ids), em, "CancelAutoSnapshotPolicyResponse")
        call(ebs, "delete_auto_snapshot_policy", e.DeleteAutoSnapshotPolicyRequest(auto_snapshot_policy_id=pid), em, "DeleteAutoSnapshotPolicyResponse")
    if snap is not None:
        from_snap = call(ecs, "create_image", m.CreateImageRequest(snapshot_id=snap.snapshot_id, image_name="py-from-snapshot"), mm, "CreateImageResponse")
        if from_snap is not None:
            results[-1]["action"] = "CreateImage (from a snapshot)"
            admin("clock", {"advanceSeconds": 3600})
            call(ecs, "delete_images", m.DeleteImagesRequest(image_ids=[from_snap.image_id], delete_binded_snapshots=False), mm, "DeleteImagesResponse")
        call(ebs, "delete_snapshot", e.DeleteSnapshotRequest(snapshot_id=snap.snapshot_id), em, "DeleteSnapshotResponse")
    if group is not None:
        call(ebs, "delete_snapshot_group", e.DeleteSnapshotGroupRequest(snapshot_group_id=group.snapshot_group_id), em, "DeleteSnapshotGroupResponse")

    call(ecs, "stop_instance", m.StopInstanceRequest(instance_id=instance_id), mm, "StopInstanceResponse")
    admin("clock", {"advanceSeconds": 60})
    call(ecs, "start_instance", m.StartInstanceRequest(instance_id=instance_id), mm, "StartInstanceResponse")
    admin("clock", {"advanceSeconds": 60})
    admin("volcengine/spot-interruption", {"instanceId": instance_id, "noticeSeconds": 300})
    events = call(ecs, "describe_system_events", m.DescribeSystemEventsRequest(resource_ids=[instance_id]), mm, "DescribeSystemEventsResponse")
    if events is not None:
        results[-1]["types"] = [e.type for e in events.system_events or []]
    call(ecs, "describe_zones", m.DescribeZonesRequest(), mm, "DescribeZonesResponse")
    call(ecs, "delete_instance", m.DeleteInstanceRequest(instance_id=instance_id), mm, "DeleteInstanceResponse")

    # A refused request comes back as the SDK's ApiException with the cloud's code.
    try:
        ecs.describe_instances(m.DescribeInstancesRequest(max_results="many"))  # the model does not check types client-side
        refused = None
    except ApiException as e:
        refused = {"status": e.status, "code": error_code(e)}

    print(json.dumps({"sdk": versions(), "calls": results, "refusedWrongType": refused}))


def versions() -> dict:
    return {d: importlib.metadata.version(d) for d in ("volcenginesdk-core", "volcenginesdk-ecs", "volcenginesdk-storageebs")}


def self_test() -> None:
    """The strict walk finds what it should in bodies that are wrong on purpose (run with --self-test)."""
    mm = volcenginesdkecs.models
    found: list = []
    strict({"Instances": [{"InstanceId": 5, "Volumes": [{"VolumeId": "v", "Size": 40}]}], "TotalCount": "1", "Extra": True}, "DescribeInstancesResponse", mm, "Result", found)
    strict({"SystemEvents": [{"ExtraInfo": "{}"}]}, "DescribeSystemEventsResponse", mm, "Result", found)
    clean: list = []
    strict({"Instances": [{"InstanceId": "i", "Volumes": [{"VolumeId": "v"}], "Cpus": 2}], "TotalCount": 1}, "DescribeInstancesResponse", mm, "Result", clean)
    strict({"SystemEvents": [{"ExtraInfo": {"a": "b"}}]}, "DescribeSystemEventsResponse", mm, "Result", clean)
    print(json.dumps({"found": found, "clean": clean}))


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
        sys.exit(0)
    try:
        main()
    except Exception as e:  # anything unexpected: still one JSON line, and a failing exit code
        print(json.dumps({"sdk": versions(), "calls": results, "fatal": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
