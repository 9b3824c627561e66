"""The voice gateway: phone streams, voice messages and read-aloud in a process of their own (issue 17).

`python -m voice.gateway` serves the customer paths Rasa used to (the Rasa server forwards them here,
or HAProxy routes them straight here in a cluster) and reaches the bot through Rasa's gateway
connector (bot/channels/gateway_connector.py). It keeps no conversation state but its live calls.
"""
