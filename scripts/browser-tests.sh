#!/usr/bin/env bash
# The browser tier: the shop's pages in Debian's Chromium, driven by playwright-core (Playwright's own browser
# download is not used), against the whole local platform; axe-core checks every page. Installs Chromium with apt
# when it is missing (CI runs as root). SCREENSHOT_DIR=docs/images saves the README's pictures.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium_path() { command -v chromium || command -v chromium-browser || true; }
if [[ -z "$(chromium_path)" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "Chromium is missing: install it with 'sudo apt-get install -y chromium' (Debian) and run again" >&2
    exit 1
  fi
  echo "installing Debian's chromium (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
fi
CHROMIUM_PATH="$(chromium_path)"
export CHROMIUM_PATH
"$CHROMIUM_PATH" --version

export NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning --disable-warning=DEP0044 --disable-warning=TimeoutNegativeWarning'
npx jest --config jest.browser.config.ts --runInBand "$@"
