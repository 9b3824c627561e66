# Shared environment for every project command: sourced by the Makefile's recipes.
# Values in .env (generated on first run) win over these defaults.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p var
set -a
[ -f .env ] && . ./.env
: "${ANXIN_DATABASE_URL:=sqlite:///$ROOT/var/anxin.db}"
: "${ANXIN_TRACKER_STORE_URL:=sqlite:///$ROOT/var/tracker.db}"
: "${ANXIN_PUBLIC_URL:=http://localhost:5005}"
: "${RASA_PORT:=5005}"
: "${ACTION_PORT:=5055}"
: "${ACTION_SERVER_URL:=http://127.0.0.1:$ACTION_PORT/webhook}"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
TF_CPP_MIN_LOG_LEVEL=2
SQLALCHEMY_SILENCE_UBER_WARNING=1
RASA_TELEMETRY_ENABLED=false
set +a
PATH="$ROOT/.venv/bin:$PATH"
