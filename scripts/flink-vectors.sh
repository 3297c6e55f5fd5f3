#!/usr/bin/env bash
# Holds the Flink SQL job (analytics/flink-job/orders-windows.sql) to the analytics test vectors on real Apache
# Flink 1.20 (SQL Client and a local mini-cluster; jars from Maven Central, cached under the home folder) and a
# real Kafka broker (scripts/with-kafka.sh). Prints a pass/fail table per vector; exits non-zero on any mismatch.
#   KAFKA_PORT (default 19092) — the broker's client listener.
set -euo pipefail
cd "$(dirname "$0")/.."
# kafkajs 2.2.4 schedules a timer at (0 - now) on Node 24 (upstream tulios/kafkajs#1751; Node clamps it to 1 ms).
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
source scripts/lib/tools.sh

start=$(date +%s)
FLINK_LIB="$(flink_lib)"
export FLINK_LIB
echo "Flink jars: $FLINK_LIB ($(( $(date +%s) - start )) s)"
# The cloud adds exactly these jars to Flink (start-job.sh): they must be the ones the vectors run with.
while read -r sha path; do
  [[ -z "$sha" || "$sha" == \#* ]] && continue
  if ! echo "$sha  $FLINK_LIB/$(basename "$path")" | sha256sum --check --quiet - 2>/dev/null; then
    echo "analytics/flink-job/connector-jars.txt pins $(basename "$path") at $sha, which is not the jar in $FLINK_LIB" >&2
    exit 1
  fi
done < analytics/flink-job/connector-jars.txt
bash scripts/with-kafka.sh npx tsx analytics/flink-job/test/run-vectors.ts
echo "flink-vectors: $(( $(date +%s) - start )) s"
