#!/usr/bin/env bash
# Prints the pin list of the jars a folder holds, as the analytics job's jar lists want it:
# `<sha256>  <path under Maven Central>`, the path found in the local Maven repository the folder was copied from.
#   scripts/pin-jars.sh LIB [JAR...]   (every jar of LIB when none is named)
# Regenerate a list after changing its pom, e.g.:
#   source scripts/lib/tools.sh && scripts/pin-jars.sh "$(migrate_lib)" > analytics/flink-job/migrate-jars.txt
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
lib="${1:?usage: pin-jars.sh LIB [JAR...]}"
shift
repo="$TOOLS_CACHE/m2"
if [[ $# -eq 0 ]]; then
  mapfile -t jars < <(cd "$lib" && ls -- *.jar)
else
  jars=("$@")
fi
for jar in "${jars[@]}"; do
  mapfile -t found < <(find "$repo" -name "$jar" -type f)
  if [[ ${#found[@]} -ne 1 ]]; then
    echo "pin-jars.sh: $jar is in the local repository ${#found[@]} times, not once" >&2
    exit 1
  fi
  echo "$(sha256sum "$lib/$jar" | cut -d' ' -f1)  ${found[0]#"$repo"/}"
done
