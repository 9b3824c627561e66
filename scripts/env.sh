# Shared environment for every project command: sourced by the Makefile's recipes.
# Values in .env (generated on first run) and the environment win over the defaults.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p var
set -a
[ -f .env ] && . ./.env
# Database URLs, ports and the action server's URL for scripts and for bot/endpoints.yml's ${VAR}s:
# the defaults are written once, in actions/service/core/settings.py (values set above win there too).
if [ -x "$ROOT/.venv/bin/python" ]; then
  eval "$("$ROOT/.venv/bin/python" -m actions.service.core.settings)"
fi
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
TF_CPP_MIN_LOG_LEVEL=2
SQLALCHEMY_SILENCE_UBER_WARNING=1
RASA_TELEMETRY_ENABLED=false
set +a
PATH="$ROOT/.venv/bin:$PATH"
