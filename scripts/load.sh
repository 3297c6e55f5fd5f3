#!/usr/bin/env bash
# npm run load -- [short|seed] [storm]: the load scenario (load/locust/shop.py) with Locust.
#   short (default)  the seed's shape in 80 s, up to 100 VUs        seed  the seed's stages, 5 min, up to 100 VUs
#   storm            adds a sign-up storm: 20 sign-ups a second for 30 s during the 100-VU plateau
# Against a deployed platform: BASE_URL=https://... ADMIN_EMAIL=... ADMIN_PASSWORD=... npm run load -- seed
# Without BASE_URL it starts the local platform itself from an empty data folder, on the catalog ports shifted by
# SHOPFRONT_PORT_OFFSET (default 13000: the gateway on 21080), and stops it after:
#   LOAD_BACKEND=embedded (default)  embedded PostgreSQL 17 (npm start's own server) with the event log in it
#   LOAD_BACKEND=real                a throwaway PostgreSQL (SHOPFRONT_PG_PORT, default 25433) and Kafka broker
#                                    (KAFKA_PORT, default 19192) from scripts/with-postgres.sh and with-kafka.sh
# Writes to LOAD_OUT (default reports/load/<profile>-<backend>-<time>): summary.json (the end-of-test summary with
# every threshold's verdict), samples.csv (every request: start, kind, status, duration, VUs), run.json (the
# platform's figures), platform.log. Exits with Locust's code: 0, 99 when a threshold failed, else a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# kafkajs 2.2.4 schedules a timer at (0 - now) on Node 24 (upstream tulios/kafkajs#1751; Node clamps it to 1 ms):
# its TimeoutNegativeWarning is noise, silenced for every process this starts.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh

profile="${1:-short}"
case "$profile" in
  seed) limit_s=600 ;;
  short) limit_s=300 ;;
  *) echo "usage: scripts/load.sh [short|seed] [storm]" >&2; exit 2 ;;
esac
storm="${2:-}"
case "$storm" in
  storm) export SIGNUP_STORM=1 ;;
  "") export SIGNUP_STORM=0 ;;
  *) echo "usage: scripts/load.sh [short|seed] [storm]" >&2; exit 2 ;;
esac
backend="${LOAD_BACKEND:-embedded}"
[[ -n "${BASE_URL:-}" ]] && backend=remote
case "$backend" in
  embedded | real | remote) ;;
  *) echo "LOAD_BACKEND must be embedded or real, got '$backend'" >&2; exit 2 ;;
esac

export PROFILE="$profile"
export LOAD_OUT="${LOAD_OUT:-reports/load/$profile${storm:+-$storm}-$backend-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$LOAD_OUT"
locust="$(bash scripts/locust.sh)"

# Runs the scenario against $1; prints nothing of its own, returns Locust's exit code. The time limit only guards
# against a hung run: the stages end the test well before it.
run_scenario() {
  local code=0
  timeout --signal=INT --kill-after=30 "$limit_s" \
    "$locust" -f load/locust/shop.py --headless --host "$1" --only-summary --stop-timeout 30 \
    --loglevel WARNING || code=$?
  return "$code"
}

if [[ "$backend" == remote ]]; then
  : "${ADMIN_EMAIL:?ADMIN_EMAIL is required with BASE_URL (an administrator creates the products)}"
  : "${ADMIN_PASSWORD:?ADMIN_PASSWORD is required with BASE_URL}"
  echo "load profile $profile against $BASE_URL; results in $LOAD_OUT"
  code=0
  run_scenario "$BASE_URL" || code=$?
  exit "$code"
fi

if [[ "$backend" == real && -z "${LOAD_INSIDE_SERVICES:-}" ]]; then
  export SHOPFRONT_PG_PORT="${SHOPFRONT_PG_PORT:-25433}" KAFKA_PORT="${KAFKA_PORT:-19192}" LOAD_INSIDE_SERVICES=1
  exec bash scripts/with-postgres.sh bash scripts/with-kafka.sh bash scripts/load.sh "$profile" $storm
fi

offset="${SHOPFRONT_PORT_OFFSET:-13000}"
gateway="http://127.0.0.1:$((8080 + offset))"
if (exec 3<>"/dev/tcp/127.0.0.1/$((8080 + offset))") 2>/dev/null; then
  echo "port $((8080 + offset)) is taken: set SHOPFRONT_PORT_OFFSET to shift the platform elsewhere" >&2
  exit 1
fi

platform_env=(SHOPFRONT_PORT_OFFSET="$offset" LOG_LEVEL=warn)
postgres_version="" kafka_version=""
if [[ "$backend" == real ]]; then
  platform_env+=(DATABASE_URL="$TEST_DATABASE_URL" KAFKA_BROKERS="$TEST_KAFKA_BROKERS")
  KAFKA_BROKERS="$TEST_KAFKA_BROKERS" npx tsx load/kafka-topics.ts
  # The server's own version, whichever PostgreSQL TEST_DATABASE_URL names.
  postgres_version="$(node -e "const { Client } = require('pg'); const c = new Client(process.env.TEST_DATABASE_URL);
    c.connect().then(() => c.query('SHOW server_version')).then((r) => { console.log(r.rows[0].server_version.split(' ')[0]); return c.end(); })")"
  kafka_version="$(pom_property scripts/kafka/pom.xml kafka.version)"
fi

data_dir="$(mktemp -d /tmp/shopfront-load.XXXXXX)"
started=$(date +%s%N)
env "${platform_env[@]}" DATA_DIR="$data_dir" bash bin/start.sh \
  >"$LOAD_OUT/platform.log" 2>&1 &
pid=$!
# The platform drains for up to 20 s on SIGTERM; past 40 s it is killed.
stop_platform() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "the platform did not stop within 40 s of SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap stop_platform EXIT

for _ in $(seq 1 600); do
  if curl -sf -o /dev/null "$gateway/health"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$LOAD_OUT/platform.log" >&2
    echo "the platform exited before it was ready" >&2
    exit 1
  fi
  sleep 0.2
done
curl -sf -o /dev/null "$gateway/health" || { echo "the platform was not ready in 120 s" >&2; exit 1; }
ready_ms=$((($(date +%s%N) - started) / 1000000))
echo "platform ($backend) ready at $gateway in $((ready_ms / 1000)) s; load profile $profile; results in $LOAD_OUT"

# CPU seconds the platform's process has used (user + system), from /proc.
cpu_seconds() { awk -v tck="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / tck}' "/proc/$pid/stat"; }
# The whole machine's CPU: "busy total" jiffies from /proc/stat (busy = all but idle and iowait).
machine_cpu() { awk '/^cpu / {t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; print t - $5 - $6, t}' /proc/stat; }
read_secret() { node -pe "JSON.parse(require('fs').readFileSync('$data_dir/secrets.json', 'utf8')).$1"; }
ADMIN_EMAIL="$(read_secret adminEmail)" ADMIN_PASSWORD="$(read_secret adminPassword)"
export ADMIN_EMAIL ADMIN_PASSWORD

loadavg_before="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu_before="$(cpu_seconds)"
read -r machine_busy_before machine_total_before < <(machine_cpu)
code=0
run_scenario "$gateway" || code=$?
cpu_after="$(cpu_seconds)"
read -r machine_busy_after machine_total_after < <(machine_cpu)
peak_rss_mib="$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")"
cat >"$LOAD_OUT/run.json" <<JSON
{
  "profile": "$profile",
  "backend": "$backend",
  "gateway": "$gateway",
  "platform_ready_ms": $ready_ms,
  "platform_cpu_seconds": $(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN {printf "%.2f", b - a}'),
  "platform_peak_rss_mib": $peak_rss_mib,
  "machine_busy_cores": $(awk -v b="$((machine_busy_after - machine_busy_before))" \
    -v t="$((machine_total_after - machine_total_before))" -v n="$(nproc)" 'BEGIN {printf "%.2f", t ? n * b / t : 0}'),
  "loadavg_before": "$loadavg_before",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "postgres_version": "$postgres_version",
  "kafka_version": "$kafka_version",
  "exit_code": $code
}
JSON
exit "$code"
