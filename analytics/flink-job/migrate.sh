#!/usr/bin/env bash
# Applies the results database's migrations (migrations/, in Flyway's naming) with Flyway's command line.
#   migrate.sh LIB MIGRATIONS
# LIB holds Flyway's jars and the JDBC driver (migrate/pom.xml). Reads FLYWAY_URL, FLYWAY_USER and FLYWAY_PASSWORD
# (the owner of the results database; the password from the environment, never the command line) and
# RESULTS_WRITER_USER (the job's database identity, granted analytics_writer). Run by submit-job.sh on Dataproc
# before the job is submitted, and by the Flink tier against a real PostgreSQL 17, so both apply the same files.
set -euo pipefail
lib="${1:?usage: migrate.sh LIB MIGRATIONS}"
migrations="${2:?usage: migrate.sh LIB MIGRATIONS}"
for name in FLYWAY_URL FLYWAY_USER FLYWAY_PASSWORD RESULTS_WRITER_USER; do
  if [[ -z "${!name:-}" ]]; then
    echo "migrate.sh: \$$name must be set" >&2
    exit 2
  fi
done
[[ -d "$migrations" ]] || { echo "migrate.sh: no migrations folder $migrations" >&2; exit 2; }
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Flyway 11 needs Java 17; say so rather than fail with an UnsupportedClassVersionError.
major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
if [[ -z "$major" || "$major" -lt 17 ]]; then
  echo "migrate.sh: Flyway needs Java 17 or later; $java is '${major:-unknown}' (set JAVA_HOME)" >&2
  exit 2
fi
exec "$java" -cp "$lib/*" org.flywaydb.commandline.Main \
  "-locations=filesystem:$migrations" \
  "-placeholders.writer_user=$RESULTS_WRITER_USER" \
  -validateMigrationNaming=true \
  -outOfOrder=false \
  migrate
