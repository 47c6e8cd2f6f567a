#!/usr/bin/env bash
# Runs a single-node Apache Kafka (KRaft, broker+controller) from Maven Central jars.
# Usage: deploy/kafka-local.sh start|stop|status|fetch|reset
# Env: MEMESNIPE_KAFKA_HOME (cache, default ~/.cache/memesnipe/kafka), KAFKA_PORT (9092),
#      KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (1g), KAFKA_PARTITIONS (4),
#      KAFKA_START_TIMEOUT_S (60), KAFKA_STATE_DIR (data, logs, pid and properties; default the
#      cache dir). A private broker (tests/faults) sets its own ports and state dir, so it can be
#      restarted without touching the shared one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${MEMESNIPE_KAFKA_HOME:-$HOME/.cache/memesnipe/kafka}"
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP:-1g}"
parts="${KAFKA_PARTITIONS:-4}"
wait_s="${KAFKA_START_TIMEOUT_S:-60}"
state="${KAFKA_STATE_DIR:-$home}"
libs="$home/libs"
data="$state/data-$port"
logs="$state/logs-$port"
pidfile="$state/kafka-$port.pid"
props="$state/server-$port.properties"

die() { echo "kafka-local: $*" >&2; exit 1; }

need() {
  command -v java >/dev/null || die "java not found: install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
  local v; v=$(java -version 2>&1 | awk -F'"' '/version/ {print $2}' | cut -d. -f1)
  [ "${v:-0}" -ge 17 ] || die "Kafka 4 needs Java 17+, found java $v"
}

fetch() {
  need
  if [ -f "$libs/.complete" ] && cmp -s "$here/kafka/pom.xml" "$libs/.pom"; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: apt-get install maven)"
  mkdir -p "$libs"
  echo "kafka-local: fetching Kafka jars from Maven Central into $libs" >&2
  rm -f "$libs"/*.jar
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" \
    || die "mvn could not fetch Kafka (see output above)"
  cp "$here/kafka/pom.xml" "$libs/.pom"
  touch "$libs/.complete"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

ready() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

write_props() {
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=$parts
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
log.segment.bytes=67108864
PROPS
}

start() {
  if running; then echo "kafka-local: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
  if ready; then die "port $port is taken by another process; set KAFKA_PORT"; fi
  fetch
  mkdir -p "$data" "$logs"
  write_props
  local cp="$libs/*"
  if [ ! -f "$data/meta.properties" ]; then
    local id; id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    java -cp "$cp" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$logs" \
      kafka.tools.StorageTool format --standalone --ignore-formatted -t "$id" -c "$props" >/dev/null \
      || die "formatting KRaft storage in $data failed"
  fi
  nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$logs" \
    -cp "$cp" kafka.Kafka "$props" >"$logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 $((wait_s * 2))); do
    if ready; then echo "kafka-local: Kafka ready on 127.0.0.1:$port (logs: $logs)"; return 0; fi
    running || { tail -20 "$logs/stdout.log" "$logs/server.log" 2>/dev/null >&2; die "Kafka exited during start-up"; }
    sleep 0.5
  done
  die "Kafka did not open 127.0.0.1:$port within $wait_s s (logs: $logs)"
}

stop() {
  if ! running; then echo "kafka-local: not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "kafka-local: stopped"; return 0; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"; echo "kafka-local: killed"
}

status() {
  if running && ready; then echo "kafka-local: running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
  echo "kafka-local: not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch ;;
  reset) stop; rm -rf "$data" "$logs"; echo "kafka-local: data removed" ;;
  *) echo "usage: $0 start|stop|status|fetch|reset" >&2; exit 2 ;;
esac
