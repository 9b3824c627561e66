#!/usr/bin/env bash
# `make cluster`: two Rasa servers, two action servers and two voice gateways behind HAProxy, on this machine's
# PostgreSQL (business data and tracker store), Redis (Rasa's lock store) and RabbitMQ (Rasa's
# event broker). Customers use localhost:$RASA_PORT (5005) as with `make run`; Ctrl-C stops it all.
# deploy/ has the same for Compose and Kubernetes (tests/deploy/test_deploy.py keeps them in step).
set -euo pipefail
. "$(dirname "$0")/env.sh"
PATH="$PATH:/usr/sbin"  # Debian puts haproxy there

export ANXIN_DEMO_MODE="${ANXIN_DEMO_MODE:-1}"
# Where the services are (trust auth on 127.0.0.1, as the development machines have them).
POSTGRES_URL="${ANXIN_CLUSTER_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}"
export ANXIN_DATABASE_URL="$POSTGRES_URL/${ANXIN_CLUSTER_DATABASE:-anxin}"
export ANXIN_TRACKER_STORE_URL="$POSTGRES_URL/${ANXIN_CLUSTER_TRACKER_DATABASE:-anxin_tracker}"
export ANXIN_LOCK_STORE_URL="${ANXIN_LOCK_STORE_URL:-redis://127.0.0.1:6379/1}"
export ANXIN_EVENT_BROKER_URL="${ANXIN_EVENT_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/}"
export ANXIN_EVENT_QUEUE="${ANXIN_EVENT_QUEUE:-anxin_events}"
# HAProxy listens on the product's ports; the servers behind it on their own.
export RASA_1_PORT="${RASA_1_PORT:-5105}" RASA_2_PORT="${RASA_2_PORT:-5106}"
export ACTION_1_PORT="${ACTION_1_PORT:-5155}" ACTION_2_PORT="${ACTION_2_PORT:-5156}"
export GATEWAY_1_PORT="${GATEWAY_1_PORT:-5165}" GATEWAY_2_PORT="${GATEWAY_2_PORT:-5166}"
export HAPROXY_STATS_PORT="${HAPROXY_STATS_PORT:-8404}"
export HAPROXY_BIND=127.0.0.1 RASA_1_HOST=127.0.0.1 RASA_2_HOST=127.0.0.1 ACTION_1_HOST=127.0.0.1 ACTION_2_HOST=127.0.0.1
export GATEWAY_1_HOST=127.0.0.1 GATEWAY_2_HOST=127.0.0.1
export ACTION_SERVER_URL="http://127.0.0.1:$ACTION_PORT/webhook"  # through HAProxy
# Rasa (Telegram's voice notes) reaches the gateways through HAProxy, and the gateways reach Rasa the same way.
export ANXIN_VOICE_GATEWAY_URL="http://127.0.0.1:$ANXIN_VOICE_GATEWAY_PORT" ANXIN_GATEWAY_RASA_URL="http://127.0.0.1:$RASA_PORT"
export ANXIN_TRUSTED_PROXIES="${ANXIN_TRUSTED_PROXIES:-127.0.0.1}"  # HAProxy says who the client is
LOGS="$ROOT/var/cluster"
mkdir -p "$LOGS"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for service in "PostgreSQL 5432 postgresql" "Redis 6379 redis-server" "RabbitMQ 5672 rabbitmq-server"; do
  read -r name port package <<<"$service"
  answers "$port" || { echo "make cluster: $name does not answer on 127.0.0.1:$port (Debian: apt-get install $package)" >&2; exit 1; }
done
for port in "$RASA_PORT" "$ACTION_PORT" "$ANXIN_VOICE_GATEWAY_PORT" "$RASA_1_PORT" "$RASA_2_PORT" "$ACTION_1_PORT" \
    "$ACTION_2_PORT" "$GATEWAY_1_PORT" "$GATEWAY_2_PORT" "$HAPROXY_STATS_PORT"; do
  ! answers "$port" || { echo "make cluster: port $port is in use (is \`make run\` or another cluster running?)" >&2; exit 1; }
done
for database in "${ANXIN_DATABASE_URL##*/}" "${ANXIN_TRACKER_STORE_URL##*/}"; do
  psql "$POSTGRES_URL/postgres" -tAc "select 1 from pg_database where datname = '$database'" | grep -q 1 \
    || psql "$POSTGRES_URL/postgres" -qc "create database \"$database\""
done
python -m actions.service.seed

PIDS=()
stop() {
  trap - EXIT INT TERM
  echo "stopping the cluster ..."
  kill "${PIDS[@]}" 2>/dev/null || true
  wait "${PIDS[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT TERM  # Ctrl-C: stop everything, and say nothing about a process that "stopped"

start() {  # start <log name> <command...>: in the background, output to var/cluster/<name>.log
  local log="$LOGS/$1.log"; shift
  "$@" >"$log" 2>&1 &
  PIDS+=($!)
}
start actions1 env ACTION_PORT="$ACTION_1_PORT" python -m actions.server
start actions2 env ACTION_PORT="$ACTION_2_PORT" python -m actions.server
# One scheduler for the cluster: reminders are claimed in the database, so a second would also be safe.
start scheduler python -m actions.service.scheduler
for port in "$RASA_1_PORT" "$RASA_2_PORT"; do
  start "rasa-$port" python -m bot.serve --model models/anxin.tar.gz --endpoints bot/endpoints.yml \
    --credentials bot/credentials.yml --port "$port" --enable-api
done
# Voice gateways: phone calls, voice messages, read-aloud (Whisper and TTS never in a Rasa server).
# On one machine they share var/voice-replies, so a reply's audio is found whichever gateway is asked.
for port in "$GATEWAY_1_PORT" "$GATEWAY_2_PORT"; do
  start "gateway-$port" env ANXIN_VOICE_GATEWAY_PORT="$port" python -m voice.gateway
done
start haproxy haproxy -db -f deploy/haproxy.cfg

shown() { sed -E 's#://[^@/]*@#://***@#' <<<"$1"; }  # never print a password
echo "waiting for both Rasa servers to load the model ..."
for port in "$RASA_1_PORT" "$RASA_2_PORT"; do
  until curl -sf "http://127.0.0.1:$port/webhooks/rest/" >/dev/null; do
    for pid in "${PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "a server stopped; see $LOGS/*.log" >&2; tail -5 "$LOGS"/*.log >&2; exit 1; }
    done
    sleep 2
  done
done

cat <<MSG

  Anxin cluster is up (Ctrl-C stops everything):
    Customers, channels, console: http://localhost:$RASA_PORT  (HAProxy -> Rasa on $RASA_1_PORT and $RASA_2_PORT)
    REST chat:        curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
    Agents:           http://localhost:$RASA_PORT/webhooks/console/
    Action servers:   127.0.0.1:$ACTION_PORT (HAProxy -> $ACTION_1_PORT and $ACTION_2_PORT)
    Voice gateways:   phone, voice messages, read-aloud on $RASA_PORT's voice paths and 127.0.0.1:$ANXIN_VOICE_GATEWAY_PORT
                      (HAProxy -> $GATEWAY_1_PORT and $GATEWAY_2_PORT)
    HAProxy stats:    http://localhost:$HAPROXY_STATS_PORT/  (health checks every 2 s)
    Business data:    $(shown "$ANXIN_DATABASE_URL")
    Tracker store:    $(shown "$ANXIN_TRACKER_STORE_URL")
    Lock store:       $(shown "$ANXIN_LOCK_STORE_URL")
    Events:           RabbitMQ queue '$ANXIN_EVENT_QUEUE' at $(shown "$ANXIN_EVENT_BROKER_URL") (rabbitmqctl list_queues)
    Logs:             $LOGS/
  Demo customers: 13800000001 / 5821, 13900000002 / 7340, 85291234567 / 2034, 13700000003 / 7788

MSG
wait -n "${PIDS[@]}" || true
sleep 1  # on Ctrl-C the servers may exit a moment before the INT trap runs: let it stop quietly
echo "a cluster process stopped; see $LOGS/" >&2
