"""Proactive messages to customers outside a conversation (Telegram Bot API)."""
