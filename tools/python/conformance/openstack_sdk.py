"""OpenStack conformance run through the official openstacksdk, as a user's script would do it.

Connects with openstack.connect() from the OS_* environment (an openrc), boots a server on the
`private` network, rescues and unrescues it, takes three rotated backups, suspends/resumes,
pauses/unpauses, stops/starts and deletes it; then authenticates with the application credential
(by id, and by name with its user). Prints one JSON document of what it saw; the vitest suite
(test/conformance/openstack-cli.test.ts) asserts on it. Any client error fails the run (exit 1).
"""

import json
import os
import sys

import openstack
from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions

WAIT = {"interval": 0.5, "wait": 120}


def server_view(server):
    return {
        "status": server.status,
        "vm_state": server.vm_state,
        "task_state": server.task_state,
        "power_state": server.power_state,
    }


def main():
    out = {}
    conn = openstack.connect()
    out["project_id"] = conn.current_project_id

    image = conn.image.find_image("cirros", ignore_missing=False)
    rescue_image = conn.image.find_image("rescue", ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    network = conn.network.find_network("private", ignore_missing=False)
    out["image"] = {"id": image.id, "status": image.status, "visibility": image.visibility}
    out["flavor"] = {"id": flavor.id, "ram": flavor.ram, "disk": flavor.disk}
    out["network"] = {"id": network.id, "subnets": network.subnet_ids}

    server = conn.compute.create_server(
        name="sdk-vm",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        metadata={"purpose": "conformance"},
    )
    out["created"] = server_view(conn.compute.get_server(server.id))
    server = conn.compute.wait_for_server(server, status="ACTIVE", **WAIT)
    out["active"] = server_view(server)
    out["addresses"] = server.addresses
    out["metadata"] = server.metadata
    out["ports"] = [
        {"device_id": p.device_id, "fixed_ips": p.fixed_ips}
        for p in conn.network.ports(device_id=server.id)
    ]

    # A conflicting action is refused with 409 (the server is ACTIVE, not SUSPENDED).
    try:
        conn.compute.resume_server(server)
        out["resume_active"] = "accepted"
    except exceptions.ConflictException as e:
        out["resume_active"] = {"status": e.status_code, "message": str(e.details)}

    conn.compute.rescue_server(server, image=rescue_image)
    out["rescue"] = server_view(conn.compute.wait_for_server(server, status="RESCUE", **WAIT))
    conn.compute.unrescue_server(server)
    out["unrescue"] = server_view(conn.compute.wait_for_server(server, status="ACTIVE", **WAIT))

    # createBackup three times with rotation 2 (backup_server waits for each image to be active):
    # Nova deletes the oldest backup of this server and type once the third is uploaded.
    out["backup_ids"] = []
    for i in (1, 2, 3):
        backup = conn.compute.backup_server(server, f"sdk-nightly-{i}", "daily", 2, wait=True, timeout=120)
        out["backup_ids"].append(backup.id)
        conn.compute.wait_for_server(server, status="ACTIVE", **WAIT)
    backups = [img for img in conn.image.images(owner=conn.current_project_id) if img.instance_uuid == server.id]
    out["backups"] = sorted(
        (
            {
                "id": b.id,
                "name": b.name,
                "status": b.status,
                "image_type": b.properties.get("image_type"),
                "backup_type": b.properties.get("backup_type"),
            }
            for b in backups
        ),
        key=lambda b: b["name"],
    )

    for act, want, back, again in (
        ("suspend", "SUSPENDED", "resume", "ACTIVE"),
        ("pause", "PAUSED", "unpause", "ACTIVE"),
        ("stop", "SHUTOFF", "start", "ACTIVE"),
    ):
        getattr(conn.compute, f"{act}_server")(server)
        out[act] = server_view(conn.compute.wait_for_server(server, status=want, **WAIT))
        getattr(conn.compute, f"{back}_server")(server)
        out[back] = server_view(conn.compute.wait_for_server(server, status=again, **WAIT))

    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, **WAIT)
    out["deleted"] = conn.compute.find_server(server.id) is None

    common = {
        "load_envvars": False,
        "load_yaml_config": False,
        "region_name": os.environ["OS_REGION_NAME"],
        "interface": "public",
        "identity_api_version": "3",
    }
    by_id = openstack.connect(
        auth_type="v3applicationcredential",
        auth={
            "auth_url": os.environ["OS_AUTH_URL"],
            "application_credential_id": os.environ["EMULATOR_APP_CRED_ID"],
            "application_credential_secret": os.environ["EMULATOR_APP_CRED_SECRET"],
        },
        **common,
    )
    out["app_cred_by_id"] = {
        "project_id": by_id.current_project_id,
        "flavors": sorted(f.name for f in by_id.compute.flavors()),
    }
    by_name = openstack.connect(
        auth_type="v3applicationcredential",
        auth={
            "auth_url": os.environ["OS_AUTH_URL"],
            "application_credential_name": os.environ["EMULATOR_APP_CRED_NAME"],
            "application_credential_secret": os.environ["EMULATOR_APP_CRED_SECRET"],
            "username": os.environ["OS_USERNAME"],
            "user_domain_name": os.environ["OS_USER_DOMAIN_NAME"],
        },
        **common,
    )
    out["app_cred_by_name"] = {
        "project_id": by_name.current_project_id,
        "networks": sorted(n.name for n in by_name.network.networks()),
    }
    try:
        openstack.connect(
            auth_type="v3applicationcredential",
            auth={
                "auth_url": os.environ["OS_AUTH_URL"],
                "application_credential_id": os.environ["EMULATOR_APP_CRED_ID"],
                "application_credential_secret": "not-the-secret",
            },
            **common,
        ).compute.flavors().__next__()
        out["app_cred_wrong_secret"] = "accepted"
    except ks_exceptions.Unauthorized as e:
        out["app_cred_wrong_secret"] = {"status": e.http_status, "message": e.message}

    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
