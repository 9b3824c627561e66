"""Phone calls streamed by a carrier over a WebSocket (Twilio Media Streams and compatible).

`frames` are the carrier-neutral events, a serializer per carrier (`twilio`) turns the wire
format into them and back, `turns` decides when the caller has finished speaking, and `call`
runs one call by passing its frames through small processors (`pipeline`), one module each:
`turn_taking`, `keypad`, `transcription`, `barge_in`, `bot_turn` and `playback`; `human_lane`
is the way in for a person who has taken the call.
"""
