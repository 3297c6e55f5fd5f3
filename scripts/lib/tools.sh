# Shared helpers for scripts: tools from PyPI in a virtualenv cached under the home folder.
TOOLS_CACHE="${SHOPFRONT_CACHE:-$HOME/.cache/shopfront}"

# python_tool <pip requirement> <executable>: installs once, prints the executable's path.
python_tool() {
  local requirement="$1" executable="$2" venv="$TOOLS_CACHE/venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >&2
  fi
  if [[ ! -x "$venv/bin/$executable" ]]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement" >&2
  fi
  echo "$venv/bin/$executable"
}
