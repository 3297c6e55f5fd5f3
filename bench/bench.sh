#!/usr/bin/env bash
# npm run bench: the catalogue read path on the embedded defaults, then orders on a real PostgreSQL and Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== GET /api/v1/products through the gateway (embedded PostgreSQL, one process)"
npx tsx bench/run.ts
echo
echo "== POST /api/v1/orders (real PostgreSQL and Kafka, started for the run)"
bash scripts/with-postgres.sh bash scripts/with-kafka.sh npx tsx bench/orders.ts
