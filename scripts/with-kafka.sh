#!/usr/bin/env bash
# Runs a command against a throwaway single-node Apache Kafka (KRaft, combined broker+controller) on
# loopback, with TEST_KAFKA_BROKERS set. The broker's jars come from Maven Central through scripts/kafka/pom.xml,
# cached under the home folder; it runs on the machine's Java 17. The broker's data is removed after.
#   KAFKA_PORT (default 19092) — the client listener.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="$((PORT + 1))"
lib="$(kafka_lib)"

work="$(mktemp -d /tmp/shopfront-kafka.XXXXXX)"
cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${work}/data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
cat > "$work/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS

java_opts=(-Xms256m -Xmx512m -Dlog4j.configuration="file:$work/log4j.properties" -Dkafka.logs.dir="$work")
cluster_id="$(java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid)"
java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" >/dev/null

# $work/ctl.sh stop|start: the fault-injection run stops the broker (SIGTERM, a controlled shutdown) and starts it
# again on the same data; the running broker's pid is kept in $work/kafka.pid.
cat > "$work/ctl.sh" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\${1:-}" in
  stop)
    pid="\$(cat "$work/kafka.pid")"
    kill "\$pid" 2>/dev/null || true
    while kill -0 "\$pid" 2>/dev/null; do sleep 0.2; done ;;
  start)
    nohup java -cp "$lib/*" ${java_opts[*]} kafka.Kafka "$work/server.properties" >> "$work/stdout.log" 2>&1 &
    echo \$! > "$work/kafka.pid"
    for _ in \$(seq 1 240); do
      if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then exit 0; fi
      sleep 0.25
    done
    echo "Kafka did not listen again on $PORT" >&2; exit 1 ;;
  *) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
CTL
chmod +x "$work/ctl.sh"

java -cp "$lib/*" "${java_opts[@]}" kafka.Kafka "$work/server.properties" > "$work/stdout.log" 2>&1 &
pid=$!
echo "$pid" > "$work/kafka.pid"
cleanup() {
  current="$(cat "$work/kafka.pid" 2>/dev/null || echo "$pid")"
  kill "$current" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  while kill -0 "$current" 2>/dev/null; do sleep 0.2; done
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/stdout.log" "$work/server.log" >&2 || true; echo "Kafka exited" >&2; exit 1; fi
  sleep 0.5
done
echo "Kafka $(basename "$lib" | sed 's/lib-//') (KRaft) on 127.0.0.1:$PORT"

export TEST_KAFKA_BROKERS="127.0.0.1:${PORT}"
export KAFKA_PID="$pid" KAFKA_WORKDIR="$work" KAFKA_CTL_SCRIPT="$work/ctl.sh"
"$@"
