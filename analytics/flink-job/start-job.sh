#!/usr/bin/env bash
# Dataproc initialization action of the analytics cluster (infra/gcp): on the master only, fetches the job (the
# SQL template and its scripts, from the folder named in the `analytics-artifacts` metadata) and the Kafka
# connector jars (Maven Central through Cloud NAT, each checked against connector-jars.txt), then installs and
# starts the systemd unit `shopfront-analytics`, which submits the job once YARN and the Flink session run.
# Initialization actions run before the cluster's services are up, so the submission is the unit's, not ours.
set -euo pipefail

meta() { /usr/share/google/get_metadata_value "attributes/$1"; }
[[ "$(meta dataproc-role)" == Master ]] || exit 0

home=/opt/shopfront-analytics
maven=https://repo.maven.apache.org/maven2
install -d -m 0755 "$home" "$home/lib"
artifacts="$(meta analytics-artifacts)"
for file in orders-windows.sql render.sh submit-job.sh connector-jars.txt; do
  gcloud storage cp --quiet "$artifacts/$file" "$home/$file"
done
chmod 0755 "$home/render.sh" "$home/submit-job.sh"

while read -r sha path; do
  [[ -z "$sha" || "$sha" == \#* ]] && continue
  jar="$home/lib/$(basename "$path")"
  curl --fail --silent --show-error --location --retry 5 --retry-connrefused --output "$jar" "$maven/$path"
  echo "$sha  $jar" | sha256sum --check --quiet -
done < "$home/connector-jars.txt"

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
