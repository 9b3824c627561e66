"""The socket.io channel (what the web chat uses): replies arrive, and a null message is answered."""
from tests.servers import socketio_chat


def test_socketio_conversation_and_null_message(servers):
    with socketio_chat(servers.url) as (client, replies, session_id):
        client.emit("user_uttered", {"message": "你好", "session_id": session_id})
        assert "小安" in replies.get(timeout=30)["text"]
        # Rasa 3.6 crashes on a null message; the guard answers it instead.
        client.emit("user_uttered", {"message": None, "session_id": session_id})
        assert "Please tell me what you need" in replies.get(timeout=30)["text"]


def test_a_message_event_without_data_is_answered_politely(servers):
    with socketio_chat(servers.url) as (client, replies, _):
        client.emit("user_uttered")  # no data at all: python-socketio calls the handler with the sid only
        assert replies.get(timeout=30)["text"]
