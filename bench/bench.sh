#!/usr/bin/env bash
# npm run bench: the catalogue read path and orders on the embedded defaults, then orders on PostgreSQL and Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
# kafkajs 2.2.4 schedules a timer at (0 - now) on Node 24 (upstream tulios/kafkajs#1751; Node clamps it to 1 ms):
# its TimeoutNegativeWarning is noise, silenced for every process this starts.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
echo "== GET /api/v1/products through the gateway (the embedded default: PostgreSQL 17, each service on its own event loop)"
npx tsx bench/run.ts
echo
echo "== POST /api/v1/orders (the embedded default)"
npx tsx bench/orders.ts
echo
echo "== POST /api/v1/orders (real PostgreSQL and Kafka, started for the run)"
bash scripts/with-postgres.sh bash scripts/with-kafka.sh npx tsx bench/orders.ts
