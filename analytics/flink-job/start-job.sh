#!/usr/bin/env bash
# Dataproc initialization action of the analytics cluster (infra/gcp): on the master only, fetches the job (the
# SQL template, its scripts and the results database's migrations, from the folder named in the
# `analytics-artifacts` metadata) and the jars (Maven Central through Cloud NAT, each checked against its list:
# connector-jars.txt and cloud-sql-jars.txt for Flink, migrate-jars.txt and cloud-sql-jars.txt for Flyway), then
# installs and starts the systemd unit `shopfront-analytics`, which applies the migrations and submits the job
# once YARN and the Flink session run.
# Initialization actions run before the cluster's services are up, so the submission is the unit's, not ours.
set -euo pipefail

meta() { /usr/share/google/get_metadata_value "attributes/$1"; }
[[ "$(meta dataproc-role)" == Master ]] || exit 0

home=/opt/shopfront-analytics
maven=https://repo.maven.apache.org/maven2
install -d -m 0755 "$home" "$home/lib" "$home/migrate-lib" "$home/migrations"
artifacts="$(meta analytics-artifacts)"
for file in orders-windows.sql render.sh submit-job.sh migrate.sh ScramVerifier.java connector-jars.txt migrate-jars.txt cloud-sql-jars.txt; do
  gcloud storage cp --quiet "$artifacts/$file" "$home/$file"
done
gcloud storage cp --quiet "$artifacts/migrations/*.sql" "$home/migrations/"
chmod 0755 "$home/render.sh" "$home/submit-job.sh" "$home/migrate.sh"

# fetch_jars <list> <folder>: each jar of the list from Maven Central into the folder, checked against its SHA-256.
fetch_jars() {
  local sha path jar
  while read -r sha path; do
    [[ -z "$sha" || "$sha" == \#* ]] && continue
    jar="$2/$(basename "$path")"
    curl --fail --silent --show-error --location --retry 5 --retry-connrefused --output "$jar" "$maven/$path"
    echo "$sha  $jar" | sha256sum --check --quiet -
  done < "$1"
}
fetch_jars "$home/connector-jars.txt" "$home/lib"
fetch_jars "$home/cloud-sql-jars.txt" "$home/lib"
fetch_jars "$home/migrate-jars.txt" "$home/migrate-lib"
fetch_jars "$home/cloud-sql-jars.txt" "$home/migrate-lib"

cat > /etc/systemd/system/shopfront-analytics.service <<UNIT
[Unit]
Description=Submit the Shopfront analytics Flink SQL job to the Flink YARN session
Wants=network-online.target
After=network-online.target google-dataproc-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$home/submit-job.sh
Restart=on-failure
RestartSec=60

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable shopfront-analytics.service
systemctl start --no-block shopfront-analytics.service
