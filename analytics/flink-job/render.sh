#!/usr/bin/env bash
# Renders the Flink SQL job template: replaces each ${NAME} placeholder with the value of the environment
# variable NAME and fails, naming it, on a placeholder whose variable is unset or on one left unreplaced.
#   render.sh TEMPLATE > job.sql
# Used by the Dataproc initialization action (start-job.sh) and by scripts/flink-vectors.sh, so the job that
# runs in the cloud is rendered exactly as the one the test vectors hold.
set -euo pipefail
# In bash 5.2 an & in a replacement stands for the matched text; a password may contain one.
shopt -u patsub_replacement 2>/dev/null || true

template="${1:?usage: render.sh TEMPLATE}"
text="$(<"$template")"
mapfile -t names < <(grep -o '\${[A-Z_][A-Z0-9_]*}' "$template" | sort -u | tr -d '${}')
for name in "${names[@]}"; do
  if [[ -z "${!name+set}" ]]; then
    echo "render.sh: ${template} needs \$${name}, which is not set" >&2
    exit 2
  fi
  text="${text//\$\{${name}\}/${!name}}"
done
printf '%s\n' "$text"
