"""What the voice gateway and the Rasa server agree on: headers, connector paths, the lane's outbox markers.

Light on purpose (no speech engine, no Rasa): both processes import it.
"""
from __future__ import annotations

# Every connector call, and every customer request Rasa forwards, carries the shared secret.
SECRET_HEADER = "X-Anxin-Gateway-Secret"
# The customer's address as the Rasa server saw it (its trusted proxies applied); believed only with the secret.
CLIENT_HEADER = "X-Anxin-Client"

CONNECTOR_PREFIX = "/webhooks/gateway"
TURN, SLOTS, PREFERENCE, LANE = "/turn", "/slots", "/preference", "/lane"

# The channels whose turns the gateway brings (the tracker's input_channel, as when they ran in Rasa).
PHONE, VOICE_MESSAGE = "phone", "voice"

# The customer paths the gateway serves (Rasa forwards exactly these, and nothing else).
PHONE_PREFIX = "/webhooks/phone"
VOICE_PREFIX = "/webhooks/voice"
SPEAK_PATH = "/webhooks/webchat/speak"

# A live call's share of the human lane's outbox: the agent's words to say, or the bot's words when the
# agent gives the call back. metadata[LANE_KEY] marks them so a call (polling, or in a turn's answer)
# speaks them as the lane's, never as the bot's reply.
LANE_KEY = "lane"
SAY, TAKE_BACK = "say", "take_back"
LANE_POLL_SECONDS = 1.0
