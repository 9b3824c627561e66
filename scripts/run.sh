#!/usr/bin/env bash
# Start the action server (5055) and the voice gateway (5065) in the background and Rasa (5005) in the
# foreground; Ctrl-C stops them all. `scripts/run.sh shell` opens a terminal chat instead of the server.
set -euo pipefail
. "$(dirname "$0")/env.sh"

# Demo defaults: the built-in demo payment provider settles orders (no real money); off elsewhere.
export ANXIN_DEMO_MODE="${ANXIN_DEMO_MODE:-1}"

python -m actions.service.seed
# Secrets, interfaces and CORS origins come from .env / the environment, never the command line
# (ps shows it): actions.server listens on ACTION_HOST (127.0.0.1) and needs ANXIN_ACTION_SECRET;
# bot.serve is `rasa run` on RASA_INTERFACE (127.0.0.1) with RASA_AUTH_TOKEN and ANXIN_CORS_ORIGINS.
python -m actions.server >var/actions.log 2>&1 &
ACTIONS_PID=$!
# Premium reminders (actions/service/scheduler.py): every ANXIN_REMINDER_INTERVAL_SECONDS; the
# database remembers what was sent, so a restart sends nothing twice.
python -m actions.service.scheduler >var/scheduler.log 2>&1 &
SCHEDULER_PID=$!
# The voice gateway (python -m voice.gateway): phone calls, voice messages and read-aloud, so Whisper and
# TTS never run inside Rasa. Customers reach it through Rasa's port (the voice paths are forwarded); it
# reaches the bot through Rasa's gateway connector, both ways with ANXIN_GATEWAY_SECRET from .env.
python -m voice.gateway >var/gateway.log 2>&1 &
GATEWAY_PID=$!
trap 'kill $ACTIONS_PID $SCHEDULER_PID $GATEWAY_PID 2>/dev/null || true' EXIT INT TERM

if [ "${1:-}" = "shell" ]; then
  rasa shell --model models/anxin.tar.gz --endpoints bot/endpoints.yml --interface "${RASA_INTERFACE:-127.0.0.1}"
  exit
fi

cat <<MSG

  Anxin is starting. In a minute:
    REST chat:    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
    socket.io:    ws://localhost:$RASA_PORT/socket.io
    HTTP API:     http://localhost:$RASA_PORT/  (token: RASA_AUTH_TOKEN in .env)
    Terminal:     make chat
    Web chat:     http://localhost:$RASA_PORT/webhooks/webchat/  (长辈版, hold to talk, 转人工)
    Agents:       http://localhost:$RASA_PORT/webhooks/console/  (demo logins printed above, on the first run only)
    Phone:        ws://localhost:$RASA_PORT/webhooks/phone/stream  (Twilio Media Streams; token in .env)
    Voice:        gateway on 127.0.0.1:$ANXIN_VOICE_GATEWAY_PORT (phone, voice messages, read-aloud; var/gateway.log)
    Reminders:    var/scheduler.log  (python -m actions.service.scheduler --dry-run lists what is due)
  Demo customers: 13800000001 / 5821, 13900000002 / 7340, 85291234567 / 2034, 13700000003 / 7788

MSG
python -m bot.serve --model models/anxin.tar.gz --endpoints bot/endpoints.yml --credentials bot/credentials.yml \
  --port "$RASA_PORT" --enable-api
