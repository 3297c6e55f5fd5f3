#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL (Debian's server, installed if missing) on loopback,
# with TEST_DATABASE_URL pointing at a password-authenticated superuser. The cluster is removed after.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${SHOPFRONT_PG_PORT:-25432}"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")"

work="$(mktemp -d /tmp/shopfront-pg.XXXXXX)"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
printf '%s\n' "$password" > "$work/pwfile"
chown -R postgres:postgres "$work"
as_postgres() { runuser -u postgres -- "$@"; }

cleanup() {
  as_postgres "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_postgres "$bin/initdb" -D "$work/data" --username=shopfront --pwfile="$work/pwfile" \
  --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
# $work/ctl.sh stop|start: the fault-injection run stops the server (immediate: no checkpoint, crash recovery
# on start) and starts it again with the same options.
cat > "$work/ctl.sh" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\${1:-}" in
  stop) runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null ;;
  start) runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \\
    -o "-p $PORT -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ;;
  *) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
CTL
chmod +x "$work/ctl.sh"
"$work/ctl.sh" start
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

export TEST_DATABASE_URL="postgres://shopfront:${password}@127.0.0.1:${PORT}/postgres"
export PG_CTL_SCRIPT="$work/ctl.sh"
"$@"
