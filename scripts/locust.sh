#!/usr/bin/env bash
# The load generator: Locust (MIT) from PyPI, installed once per version into a virtualenv of its own under
# ~/.cache/shopfront/locust-<version> (its own, so its pins never meet the policy tools' in the shared venv).
#   bash scripts/locust.sh            prints the locust executable's path (installing it the first time)
#   bash scripts/locust.sh ARGS...    runs locust with ARGS
# k6 is not used: the Go module proxy here serves it as not to be used (AGPL), see docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh

LOCUST_VERSION=2.47.0

# python_tool installs into $TOOLS_CACHE/venv: point it at a folder named after the version, so a version change
# installs afresh and a second run reuses what is there.
root="$TOOLS_CACHE/locust-$LOCUST_VERSION"
if [[ ! -x "$root/venv/bin/locust" ]]; then
  echo "installing locust $LOCUST_VERSION from PyPI into $root" >&2
  started=$SECONDS
fi
locust="$(TOOLS_CACHE="$root" python_tool "locust==$LOCUST_VERSION" locust)"
if [[ -n "${started:-}" ]]; then
  echo "installed locust $LOCUST_VERSION in $((SECONDS - started)) s" >&2
fi

if [[ $# -eq 0 ]]; then
  echo "$locust"
else
  exec "$locust" "$@"
fi
