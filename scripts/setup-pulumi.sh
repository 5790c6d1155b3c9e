#!/usr/bin/env bash
# Makes sure a Pulumi CLI with the Node.js language host and the dynamic-provider launcher is at hand
# for the end-to-end suite: uses one on PATH when it is complete, else builds it here from the Go
# module proxy (tools/pulumi-cli, pinned) and, where ../shared/pulumi-language-nodejs exists, the
# language host, into tools/pulumi-cli/bin (git-ignored). Idempotent: seconds when nothing changed.
# Never fails the test run: without a CLI and without Go it prints how to get one, and the e2e suite
# skips with the same notice.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/tools/pulumi-cli/bin"
version="v3.259.0"
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
shared="$(dirname "$root")/shared/pulumi-language-nodejs"

notice() {
  cat >&2 <<MSG
************************************************************************************************
* pulumi-recovery: no usable Pulumi CLI here ($1).
* The end-to-end suite (test/e2e) will be SKIPPED. To run it, install the Pulumi CLI
* (https://www.pulumi.com/docs/install/) so that 'pulumi' and 'pulumi-language-nodejs' are on PATH,
* or install Go >= 1.25 and run 'npm run setup:pulumi' to build them here.
************************************************************************************************
MSG
}

write_launcher() {
  # The official CLI ships this beside 'pulumi': dynamic resources run in the Node host of the
  # @pulumi/pulumi that the *project* resolves (workspaces put node_modules higher up: resolve, don't guess).
  cat > "$1/pulumi-resource-pulumi-nodejs" <<'SH'
#!/bin/sh
exec node "$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" "$@"
SH
  chmod +x "$1/pulumi-resource-pulumi-nodejs"
}

existing="$(command -v pulumi || true)"
if [ -n "$existing" ] && [ "$(dirname "$existing")" != "$bin" ] && [ -x "$(dirname "$existing")/pulumi-language-nodejs" ]; then
  echo "pulumi-recovery: using the Pulumi CLI on PATH: $existing ($(pulumi version))"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x "$bin/pulumi" ]; then echo "pulumi-recovery: Pulumi CLI at $bin ($("$bin/pulumi" version))"; exit 0; fi
  notice "no pulumi on PATH and no Go toolchain to build one"
  exit 0
fi

mkdir -p "$bin"
stamp="$bin/.built-from"
want="$(cat "$root/tools/pulumi-cli/go.mod" "$root/tools/pulumi-cli/go.sum" | sha256sum | cut -d' ' -f1) $version"
if [ -x "$bin/pulumi" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "pulumi-recovery: Pulumi CLI up to date at $bin/pulumi"
else
  echo "pulumi-recovery: building the Pulumi CLI $version from the Go module proxy (minutes when cold)…"
  start=$(date +%s)
  (cd "$root/tools/pulumi-cli" && go build -ldflags "$ldflags" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  echo "$want" > "$stamp"
  echo "pulumi-recovery: built the CLI in $(( $(date +%s) - start ))s"
fi

if [ -d "$shared" ]; then
  hstamp="$bin/.host-built-from"
  hwant="$(cat "$shared/go.mod" "$shared/go.sum" "$shared"/*.go | sha256sum | cut -d' ' -f1)"
  if [ -x "$bin/pulumi-language-nodejs" ] && [ "$(cat "$hstamp" 2>/dev/null)" = "$hwant" ]; then
    echo "pulumi-recovery: Node language host up to date at $bin/pulumi-language-nodejs"
  else
    echo "pulumi-recovery: building the Node language host from $shared…"
    start=$(date +%s)
    (cd "$shared" && go build -ldflags "$ldflags" -o "$bin/pulumi-language-nodejs" .)
    echo "$hwant" > "$hstamp"
    echo "pulumi-recovery: built the language host in $(( $(date +%s) - start ))s"
  fi
elif [ ! -x "$bin/pulumi-language-nodejs" ]; then
  echo "pulumi-recovery: no language host source at $shared: 'pulumi up' in a project directory needs a full CLI install;" >&2
  echo "                 the Automation API tests still run (they serve the language runtime in-process)." >&2
fi

write_launcher "$bin"
echo "pulumi-recovery: CLI $("$bin/pulumi" version) at $bin (add it to PATH to use it by hand)"
