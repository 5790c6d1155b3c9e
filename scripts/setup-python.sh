#!/usr/bin/env bash
# The official Python clients the conformance suites drive the emulator with, each an independent check
# of it: volcenginesdk-ecs / volcenginesdk-storageebs, alibabacloud_ecs20140526, openstacksdk and
# python-openstackclient (pinned in tools/python/requirements.txt), in a virtual environment at
# tools/python/.venv (git-ignored). Idempotent: seconds when the pins did not change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/tools/python/.venv"
req="$root/tools/python/requirements.txt"
stamp="$venv/.installed-from"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "pulumi-recovery: Python clients up to date in $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "pulumi-recovery: Python clients installed in $venv ($("$venv/bin/openstack" --version 2>&1))"
