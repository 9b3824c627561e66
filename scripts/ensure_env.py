"""Create .env on first run with fresh secrets (never committed); keep an existing one."""
from __future__ import annotations

import secrets
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parents[1] / ".env"
GENERATED = {
    "RASA_AUTH_TOKEN": lambda: secrets.token_hex(32),
    "ANXIN_SECRET_KEY": lambda: secrets.token_hex(32),
    # Rasa sends it to the action server on every call (bot/endpoints.yml); nothing else may call it.
    "ANXIN_ACTION_SECRET": lambda: secrets.token_hex(32),
    # The voice gateway and Rasa's gateway connector send it to each other on every call (issue 17).
    "ANXIN_GATEWAY_SECRET": lambda: secrets.token_hex(32),
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    "TELEGRAM_WEBHOOK_SECRET": lambda: secrets.token_hex(32),
    # The phone gateway's stream token (the carrier's TwiML passes it as a custom parameter).
    "ANXIN_PHONE_STREAM_TOKEN": lambda: secrets.token_hex(24),
}


def main() -> None:
    existing = ENV_FILE.read_text(encoding="utf-8") if ENV_FILE.exists() else ""
    present = {line.split("=", 1)[0].strip() for line in existing.splitlines() if "=" in line}
    missing = [f"{key}={make()}" for key, make in GENERATED.items() if key not in present]
    if missing:
        with ENV_FILE.open("a", encoding="utf-8") as handle:
            if existing and not existing.endswith("\n"):
                handle.write("\n")
            handle.write("\n".join(missing) + "\n")
        ENV_FILE.chmod(0o600)
        print(f"wrote new secrets to {ENV_FILE.name}: {', '.join(m.split('=')[0] for m in missing)}")


if __name__ == "__main__":
    main()
