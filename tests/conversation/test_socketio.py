"""The socket.io channel (what the web chat uses): replies arrive, and a null message is answered."""
import queue
import uuid

import socketio


def test_socketio_conversation_and_null_message(servers):
    replies: "queue.Queue[dict]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.put)
    session_id = uuid.uuid4().hex
    client.connect(servers.url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        client.emit("user_uttered", {"message": "你好", "session_id": session_id})
        assert "小安" in replies.get(timeout=30)["text"]
        # Rasa 3.6 crashes on a null message; the guard answers it instead.
        client.emit("user_uttered", {"message": None, "session_id": session_id})
        assert "Please tell me what you need" in replies.get(timeout=30)["text"]
    finally:
        client.disconnect()
