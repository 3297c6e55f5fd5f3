#!/usr/bin/env bash
# Regenerates the TypeScript of the gRPC contracts (lib/contracts/gen) from lib/contracts/proto with buf
# and ts-proto, both pinned in package-lock.json. `--check` fails when the committed code differs.
set -euo pipefail
cd "$(dirname "$0")/../lib/contracts"
npx buf lint
if [[ "${1:-}" == "--check" ]]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  npx buf generate --output "$out" >/dev/null
  if ! diff -r "$out/gen" gen >/dev/null; then
    diff -r "$out/gen" gen | head -40 >&2
    echo "lib/contracts/gen differs from the .proto files: run npm run gen:contracts and commit" >&2
    exit 1
  fi
  echo "generated contracts are up to date"
else
  rm -rf gen
  npx buf generate
  echo "generated lib/contracts/gen"
fi
