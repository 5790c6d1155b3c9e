#!/usr/bin/env bash
# A real PostgreSQL server on loopback for the controller's shared-journal tests (replicas claiming
# interruptions through row leases). Uses Debian's `postgresql` package (installed here when absent and
# we are root), initialises a throw-away cluster and starts it on 127.0.0.1. Idempotent: a running
# cluster is reused. Prints, and writes to .pulumi-test/postgres-url, the URL the tests connect to
# (they also honour PULUMI_RECOVERY_TEST_PG). Never touches a system cluster.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${PULUMI_RECOVERY_PG_PORT:-54329}"
data="${PULUMI_RECOVERY_PG_DATA:-/tmp/pulumi-recovery-pg-$port}"
urlfile="$root/.pulumi-test/postgres-url"
url="postgres://recovery@127.0.0.1:$port/recovery"
mkdir -p "$root/.pulumi-test"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pulumi-recovery: installing PostgreSQL (Debian package postgresql)…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  else
    echo "pulumi-recovery: no PostgreSQL server found; install Debian's 'postgresql' package (or set PULUMI_RECOVERY_TEST_PG to a server of yours)" >&2
    exit 1
  fi
fi

# initdb and postgres refuse to run as root: run them as the package's postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "pulumi-recovery: PostgreSQL already running at $url"
else
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    as_owner "$bindir/initdb" -D "$data" -U recovery --auth=trust -E UTF8 --no-locale >/dev/null
  fi
  as_owner "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=off" start >/dev/null
  if ! "$bindir/psql" "postgres://recovery@127.0.0.1:$port/postgres" -tAc "select 1 from pg_database where datname='recovery'" | grep -q 1; then
    "$bindir/psql" "postgres://recovery@127.0.0.1:$port/postgres" -qc "create database recovery"
  fi
  echo "pulumi-recovery: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') started at $url (data $data)"
fi
echo "$url" > "$urlfile"
