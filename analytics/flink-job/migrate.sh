#!/usr/bin/env bash
# Applies the results database's migrations (migrations/, in Flyway's naming) with Flyway's command line.
#   migrate.sh LIB MIGRATIONS
# LIB holds Flyway's jars and the JDBC driver (migrate/pom.xml). Reads FLYWAY_URL, FLYWAY_USER and FLYWAY_PASSWORD
# (the owner of the results database; the password from the environment, never the command line) and
# RESULTS_WRITER_USER (the job's database identity, granted analytics_writer). With RESULTS_READER_PASSWORD (from the
# environment too), the callback afterMigrate__reader_login.sql makes or updates the login RESULTS_READER_USER with
# analytics_reader only, its password sent as a SCRAM-SHA-256 verifier that ScramVerifier.java (beside this script)
# computes here; without it, that login is left as it is. Run by submit-job.sh on Dataproc before the job is
# submitted, and by the Flink tier against a real PostgreSQL 17, so both apply the same files.
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
reader="${RESULTS_READER_USER:-}"
if [[ ! "$reader" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
  echo "migrate.sh: \$RESULTS_READER_USER must be a PostgreSQL role name (lower case, digits, _; at most 63), got '$reader'" >&2
  exit 2
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Flyway 11 needs Java 17; say so rather than fail with an UnsupportedClassVersionError.
major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
if [[ -z "$major" || "$major" -lt 17 ]]; then
  echo "migrate.sh: Flyway needs Java 17 or later; $java is '${major:-unknown}' (set JAVA_HOME)" >&2
  exit 2
fi
# The placeholder goes through the environment, not the command line, where any user of the machine could read it.
export FLYWAY_PLACEHOLDERS_READER_VERIFIER=""
if [[ -n "${RESULTS_READER_PASSWORD:-}" ]]; then
  verifier="$(printf '%s' "$RESULTS_READER_PASSWORD" | "$java" -cp "$lib/*" "$(dirname "$0")/ScramVerifier.java")"
  if [[ ! "$verifier" =~ ^SCRAM-SHA-256\$[0-9]+: ]]; then
    echo "migrate.sh: no SCRAM-SHA-256 verifier for $reader's password" >&2
    exit 2
  fi
  FLYWAY_PLACEHOLDERS_READER_VERIFIER="$verifier"
  echo "migrate.sh: $reader's password goes to the server as a SCRAM-SHA-256 verifier" >&2
else
  echo "migrate.sh: no \$RESULTS_READER_PASSWORD: the login $reader is neither made nor changed" >&2
fi
unset RESULTS_READER_PASSWORD
exec "$java" -cp "$lib/*" org.flywaydb.commandline.Main \
  "-locations=filesystem:$migrations" \
  "-placeholders.writer_user=$RESULTS_WRITER_USER" \
  "-placeholders.reader_user=$reader" \
  -validateMigrationNaming=true \
  -outOfOrder=false \
  migrate
