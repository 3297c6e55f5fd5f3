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

# kafka_lib: resolves Apache Kafka's jars from Maven Central once; prints the folder holding them.
kafka_lib() {
  local version
  version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml)"
  local lib="$TOOLS_CACHE/kafka/lib-$version"
  if [[ ! -f "$lib/.complete" ]]; then
    mkdir -p "$lib"
    mvn -q -B -f scripts/kafka/pom.xml dependency:copy-dependencies \
      -DoutputDirectory="$lib" -Dmaven.repo.local="$TOOLS_CACHE/m2" >&2
    touch "$lib/.complete"
  fi
  echo "$lib"
}
