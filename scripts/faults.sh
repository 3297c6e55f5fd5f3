#!/usr/bin/env bash
# npm run faults [-- --short]: the fault-injection run (test/faults/run.ts) on a throwaway PostgreSQL and Kafka,
# every service its own process. Ports apart from the other tiers', so it can run beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
# kafkajs 2.2.4 schedules a timer at (0 - now) on Node 24 (upstream tulios/kafkajs#1751; Node clamps it to 1 ms):
# its TimeoutNegativeWarning is noise, silenced for every process this starts.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
export SHOPFRONT_PG_PORT="${SHOPFRONT_PG_PORT:-25435}" KAFKA_PORT="${KAFKA_PORT:-19392}"
exec bash scripts/with-postgres.sh bash scripts/with-kafka.sh npx tsx test/faults/run.ts "$@"
