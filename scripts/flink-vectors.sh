#!/usr/bin/env bash
# Holds the Flink SQL job (analytics/flink-job/orders-windows.sql) to the analytics test vectors on real Apache
# Flink 1.20 (SQL Client and a local mini-cluster; jars from Maven Central, cached under the home folder), a
# real Kafka broker (scripts/with-kafka.sh) and a real PostgreSQL 17 (scripts/with-postgres.sh), whose schema the
# job's migrations create with Flyway as the cloud's deploy does. Every job runs twice over the same input. Before
# it, the API gateway's login that the migrations make is held to its promises (test/reader-login.ts). Then vector
# 01 again with the job as MSK's SCRAM user on a broker with an authorizer (KAFKA_SECURITY=sasl-scram).
# Prints a pass/fail table per vector; exits non-zero on any mismatch.
#   KAFKA_PORT (default 19092) — the broker's client listener; SHOPFRONT_PG_PORT (default 25432) — PostgreSQL's.
set -euo pipefail
cd "$(dirname "$0")/.."
# kafkajs 2.2.4 schedules a timer at (0 - now) on Node 24 (upstream tulios/kafkajs#1751; Node clamps it to 1 ms).
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
source scripts/lib/tools.sh

start=$(date +%s)
FLINK_LIB="$(flink_lib)"
export FLINK_LIB
MIGRATE_LIB="$(migrate_lib)"
export MIGRATE_LIB
CLOUD_SQL_LIB="$(cloud_sql_lib)"
echo "Flink jars: $FLINK_LIB, Flyway jars: $MIGRATE_LIB ($(( $(date +%s) - start )) s)"
# The cloud adds exactly these jars to Flink and to Flyway (start-job.sh): they must be the ones the vectors run with
# (the Cloud SQL connector's: the ones Maven resolves for its pom; nothing here can use them).
check_pins() {
  local pins="$1" lib="$2" sha path
  while read -r sha path; do
    [[ -z "$sha" || "$sha" == \#* ]] && continue
    if ! echo "$sha  $lib/$(basename "$path")" | sha256sum --check --quiet - 2>/dev/null; then
      echo "$pins pins $(basename "$path") at $sha, which is not the jar in $lib" >&2
      exit 1
    fi
  done < "$pins"
}
check_pins analytics/flink-job/connector-jars.txt "$FLINK_LIB"
check_pins analytics/flink-job/migrate-jars.txt "$MIGRATE_LIB"
check_pins analytics/flink-job/cloud-sql-jars.txt "$CLOUD_SQL_LIB"
# The API gateway's login the migrations make (afterMigrate__reader_login.sql): SCRAM, analytics_reader only, rotated.
bash scripts/with-postgres.sh npx tsx analytics/flink-job/test/reader-login.ts
bash scripts/with-postgres.sh bash scripts/with-kafka.sh npx tsx analytics/flink-job/test/run-vectors.ts
# Again, on a broker that authorizes as MSK does its SCRAM users, the job running as the cross-cloud link's SCRAM user
# with exactly the ACLs the Data stack gives it (decision 0022): one vector suffices, the grants are what is tested.
KAFKA_SECURITY=sasl-scram FLINK_VECTORS='^01-' \
  bash scripts/with-postgres.sh bash scripts/with-kafka.sh npx tsx analytics/flink-job/test/run-vectors.ts
echo "flink-vectors: $(( $(date +%s) - start )) s"
