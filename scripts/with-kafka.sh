#!/usr/bin/env bash
# Runs a command against a throwaway single-node Apache Kafka (KRaft, combined broker+controller) on
# loopback, with TEST_KAFKA_BROKERS set. The broker's jars come from Maven Central through scripts/kafka/pom.xml,
# cached under the home folder; it runs on the machine's Java 17. The broker's data is removed after.
#   KAFKA_PORT (default 19092) — the client listener.
#   KAFKA_SECURITY=sasl-scram — opt-in: the client listener is SASL_PLAINTEXT with SCRAM-SHA-512 and Kafka's
#     StandardAuthorizer denies whatever no ACL allows (MSK's SCRAM listener with allow.everyone.if.no.acl.found=false).
#     A super user, created at format time with a random password, is exported as TEST_KAFKA_ADMIN_USER /
#     TEST_KAFKA_ADMIN_PASSWORD; `$KAFKA_CTL_SCRIPT scram-user <name> <password>` adds a SCRAM-SHA-512 user.
#     Without it (the default) the broker is the plain one every other tier uses.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="$((PORT + 1))"
SECURITY="${KAFKA_SECURITY:-plaintext}"
case "$SECURITY" in
  plaintext | sasl-scram) ;;
  *) echo "KAFKA_SECURITY must be plaintext or sasl-scram, got '$SECURITY'" >&2; exit 2 ;;
esac
lib="$(kafka_lib)"

work="$(mktemp -d /tmp/shopfront-kafka.XXXXXX)"
if [[ "$SECURITY" == plaintext ]]; then
  cat > "$work/listeners.properties" <<PROPS
listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
PROPS
else
  admin_user=admin
  admin_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  # The broker talks to itself over the SASL listener as the super user. KRaft cannot authenticate its controller
  # listener with SCRAM (the credentials live in the metadata it serves), so that listener stays PLAINTEXT on
  # loopback, where the broker's own connection is User:ANONYMOUS, which must be a super user; it serves controller
  # requests only, the clients under test reach the SASL listener.
  cat > "$work/listeners.properties" <<PROPS
listeners=SASL_PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${PORT}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin_user}" password="${admin_password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:${admin_user};User:ANONYMOUS
PROPS
  chmod 600 "$work/listeners.properties"
fi
cat "$work/listeners.properties" - > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}
controller.listener.names=CONTROLLER
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

if [[ "$SECURITY" == sasl-scram ]]; then
  # The authorizer's decisions (denials at INFO), which name the refused operation and resource even where a client
  # library reports a refusal vaguely; exported as KAFKA_AUTHORIZER_LOG.
  cat >> "$work/log4j.properties" <<'PROPS'
log4j.logger.kafka.authorizer.logger=INFO, authorizer
log4j.additivity.kafka.authorizer.logger=false
log4j.appender.authorizer=org.apache.log4j.FileAppender
log4j.appender.authorizer.File=${kafka.logs.dir}/authorizer.log
log4j.appender.authorizer.layout=org.apache.log4j.PatternLayout
log4j.appender.authorizer.layout.ConversionPattern=[%d] %p %m%n
PROPS
fi

java_opts=(-Xms256m -Xmx512m -Dlog4j.configuration="file:$work/log4j.properties" -Dkafka.logs.dir="$work")
cluster_id="$(java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid)"
format_args=(format -t "$cluster_id" -c "$work/server.properties")
if [[ "$SECURITY" == sasl-scram ]]; then
  format_args+=(--add-scram "SCRAM-SHA-512=[name=${admin_user},password=${admin_password}]")
  cat > "$work/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin_user}" password="${admin_password}";
PROPS
  chmod 600 "$work/admin.properties"
fi
java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool "${format_args[@]}" >/dev/null

# $work/ctl.sh stop|start: the fault-injection run stops the broker (SIGTERM, a controlled shutdown) and starts it
# again on the same data; the running broker's pid is kept in $work/kafka.pid. With KAFKA_SECURITY=sasl-scram,
# $work/ctl.sh scram-user <name> <password> creates or resets a SCRAM-SHA-512 user through the admin API.
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
  scram-user)
    [[ -f "$work/admin.properties" ]] || { echo "scram-user: the broker runs without SASL (KAFKA_SECURITY=sasl-scram)" >&2; exit 2; }
    [[ \$# -eq 3 && "\$2" =~ ^[A-Za-z0-9._-]+\$ && "\$3" =~ ^[A-Za-z0-9._-]+\$ ]] \
      || { echo "usage: \$0 scram-user <name> <password> (letters, digits, . _ -)" >&2; exit 2; }
    java -cp "$lib/*" ${java_opts[*]} kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:$PORT \
      --command-config "$work/admin.properties" --alter --entity-type users --entity-name "\$2" \
      --add-config "SCRAM-SHA-512=[password=\$3]" >/dev/null ;;
  *) echo "usage: \$0 stop|start|scram-user <name> <password>" >&2; exit 2 ;;
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
echo "Kafka $(basename "$lib" | sed 's/lib-//') (KRaft, $SECURITY) on 127.0.0.1:$PORT"

export TEST_KAFKA_BROKERS="127.0.0.1:${PORT}"
if [[ "$SECURITY" == sasl-scram ]]; then
  export TEST_KAFKA_SASL_MECHANISM=scram-sha-512 TEST_KAFKA_ADMIN_USER="$admin_user" TEST_KAFKA_ADMIN_PASSWORD="$admin_password"
  export KAFKA_AUTHORIZER_LOG="$work/authorizer.log"
fi
export KAFKA_PID="$pid" KAFKA_WORKDIR="$work" KAFKA_CTL_SCRIPT="$work/ctl.sh"
"$@"
