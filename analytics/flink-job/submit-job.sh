#!/usr/bin/env bash
# Submits the analytics job to the cluster's Flink YARN session unless it already runs: checks Flink's version,
# waits for the session, applies the results database's migrations (migrate.sh, as the schema's owner, whose
# password is in Secret Manager), reads the MSK SCRAM credentials from Secret Manager, renders orders-windows.sql into a
# root-only file in /run (removed on exit), resumes from the latest retained checkpoint of this job version if
# there is one, and runs Flink's SQL Client on it. Run by the systemd unit `shopfront-analytics` on the master.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

home="${SHOPFRONT_ANALYTICS_HOME:-/opt/shopfront-analytics}"
job_name=analytics-orders-windows
# The instance metadata reader of Dataproc images (another command can stand in for it in a dry run).
metadata_reader="${SHOPFRONT_METADATA_READER:-/usr/share/google/get_metadata_value}"
meta() { "$metadata_reader" "attributes/$1"; }
say() { echo "shopfront-analytics: $*" >&2; }

version="$(flink --version 2>/dev/null | sed -n 's/^Version: \([0-9]*\.[0-9]*\).*/\1/p')"
if [[ "$(printf '%s\n' 1.20 "$version" | sort -V | head -n 1)" != 1.20 ]]; then
  say "the job needs Flink 1.20 or later (scan.watermark.emit.strategy, its Kafka connector); this image has '${version:-none}'"
  exit 2
fi

session=""
for _ in $(seq 1 60); do
  session="$(yarn application -list -appStates RUNNING 2>/dev/null | awk '/Flink session/ {print $1; exit}')"
  [[ -n "$session" ]] && break
  sleep 10
done
[[ -n "$session" ]] || { say "no Flink YARN session after 10 minutes (metadata flink-start-yarn-session)"; exit 1; }

if flink list -r -t yarn-session -Dyarn.application.id="$session" 2>/dev/null | grep -q " : $job_name "; then
  say "$job_name already runs in $session"
  exit 0
fi

brokers="$(meta analytics-kafka-brokers)"
if [[ -z "$brokers" ]]; then
  say "no MSK bootstrap brokers: the AWS side is not deployed yet; set awsOutputs in infra/gcp/config.ts and deploy (docs/deploy.md)"
  exit 2
fi
credentials="$(gcloud secrets versions access latest --secret="$(meta analytics-kafka-credentials-secret)")"
field() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1" <<<"$credentials"; }
# The password goes into a JAAS string (quoted with ") inside an SQL literal (quoted with ').
jaas_escape() {
  local v="$1" bs='\' dq='"' sq="'"
  v="${v//"$bs"/"$bs$bs"}"
  v="${v//"$dq"/"$bs$dq"}"
  printf '%s' "${v//"$sq"/"$sq$sq"}"
}
username="$(jaas_escape "$(field username)")"
password="$(jaas_escape "$(field password)")"
unset credentials

# The results database, through the Cloud SQL Java connector (its socket factory, from cloud-sql-jars.txt): TLS
# with an ephemeral client certificate to the instance's private address, so the driver's own TLS is off.
results_instance="$(meta analytics-results-instance)"
results_database="$(meta analytics-results-database)"
results_writer="$(meta analytics-results-writer)"
cloud_sql="socketFactory=com.google.cloud.sql.postgres.SocketFactory&cloudSqlInstance=${results_instance}&ipTypes=PRIVATE&sslmode=disable"
owner_password="$(gcloud secrets versions access latest --secret="$(meta analytics-results-owner-secret)")"
owner="$(meta analytics-results-owner)"
say "applying the results database's migrations as $owner"
(
  export FLYWAY_URL="jdbc:postgresql:///${results_database}?${cloud_sql}" FLYWAY_USER="$owner" \
    FLYWAY_PASSWORD="$owner_password" RESULTS_WRITER_USER="$results_writer"
  "$home/migrate.sh" "$home/migrate-lib" "$home/migrations"
)
unset owner_password

# Assigned, then exported: `export X="$(...)"` would hide a failed metadata read.
PARALLELISM="$(meta analytics-parallelism)"
OUT_OF_ORDERNESS_SECONDS="$(meta analytics-out-of-orderness-seconds)"
SOURCE_IDLE_TIMEOUT="$(meta analytics-source-idle-timeout)"
ORDERS_TOPIC="$(meta analytics-orders-topic)"
RESULTS_TOPIC="$(meta analytics-results-topic)"
CONSUMER_GROUP="$(meta analytics-consumer-group)"
KAFKA_BOOTSTRAP_SERVERS="$brokers"
SCAN_STARTUP_MODE=group-offsets
# The job writes as its service account's IAM database user: the connector logs in with the account's token. The
# driver wants a password all the same; this one is never checked.
RESULTS_JDBC_URL="jdbc:postgresql:///${results_database}?${cloud_sql}&enableIamAuth=true&stringtype=unspecified"
# shellcheck disable=SC2089
RESULTS_JDBC_OPTIONS="'username' = '$results_writer', 'password' = 'unused-with-iam-database-authentication',"
# These two are SQL text: their quotes are meant literally (shellcheck's SC2089/SC2090).
# shellcheck disable=SC2089
SCAN_OPTIONS="'properties.commit.offsets.on.checkpoint' = 'true',"
# shellcheck disable=SC2089
KAFKA_CLIENT_OPTIONS="'properties.security.protocol' = 'SASL_SSL',
  'properties.sasl.mechanism' = 'SCRAM-SHA-512',
  'properties.sasl.jaas.config' = 'org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$username\" password=\"$password\";',"
unset username password
# shellcheck disable=SC2090
export PARALLELISM OUT_OF_ORDERNESS_SECONDS SOURCE_IDLE_TIMEOUT ORDERS_TOPIC RESULTS_TOPIC CONSUMER_GROUP \
  KAFKA_BOOTSTRAP_SERVERS SCAN_STARTUP_MODE SCAN_OPTIONS KAFKA_CLIENT_OPTIONS RESULTS_JDBC_URL RESULTS_JDBC_OPTIONS

checkpoints="$(meta analytics-checkpoints)"
latest="$(gcloud storage ls --long "$checkpoints/**/_metadata" 2>/dev/null | awk 'NF == 3 {print $2, $3}' | sort | tail -n 1 | cut -d' ' -f2)"

umask 077
job="$(mktemp /run/shopfront-analytics.XXXXXX.sql)"
trap 'shred -u "$job" 2>/dev/null || rm -f "$job"' EXIT
{
  echo "SET 'execution.target' = 'yarn-session';"
  echo "SET 'yarn.application.id' = '$session';"
  echo "SET 'state.checkpoints.dir' = '$checkpoints';"
  if [[ -n "$latest" ]]; then
    say "resuming from ${latest%/_metadata}"
    echo "SET 'execution.savepoint.path' = '${latest%/_metadata}';"
  fi
  "$home/render.sh" "$home/orders-windows.sql"
} > "$job"

jars=()
for jar in "$home"/lib/*.jar; do jars+=(--jar "$jar"); done
sql-client.sh "${jars[@]}" -f "$job"
say "submitted $job_name to $session"
