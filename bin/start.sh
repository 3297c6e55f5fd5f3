#!/usr/bin/env bash
# Runs the local platform (bin/local.ts) the one way npm start, the bench, the load scenario and the fuzz run do.
# MALLOC_ARENA_MAX: glibc gives each thread that allocates its own malloc arena (up to eight per core); the services'
# worker threads each kept one, ~55 MiB more after the order bench (bench/orders.ts) for no measurable throughput.
# Two are enough for the platform's threads; a value set in the environment wins. Other C libraries ignore it.
set -euo pipefail
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --expose-gc --disable-warning=TimeoutNegativeWarning --import tsx "$(dirname "$0")/local.ts" "$@"
