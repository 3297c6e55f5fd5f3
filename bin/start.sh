#!/usr/bin/env bash
# Runs the local platform (bin/local.ts) the one way npm start, the bench, the load scenario and the fuzz run do.
# MALLOC_ARENA_MAX: glibc gives each thread that allocates its own malloc arena (up to eight per core); the services'
# worker threads each kept one, ~55 MiB more after the order bench (bench/orders.ts) for no measurable throughput.
# Two are enough for the platform's threads; a value set in the environment wins. Other C libraries ignore it.
# The services run as JavaScript transpiled at start (services/compile.ts). The mirror is made first, by a process of
# its own, for the pid this script's process keeps through `exec`; the platform then runs from it without a TypeScript
# loader in its own thread either. SHOPFRONT_SERVICE_CODE=typescript runs everything through tsx instead.
set -euo pipefail
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
here="$(dirname "$0")"
if [ "${SHOPFRONT_SERVICE_CODE:-javascript}" = javascript ]; then
  mirror="$(node --import tsx "$here/../services/compile.ts" "$$")"
  exec node --disable-warning=TimeoutNegativeWarning "$mirror/bin/local.js" "$@"
fi
exec node --disable-warning=TimeoutNegativeWarning --import tsx "$here/local.ts" "$@"
