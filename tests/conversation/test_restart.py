"""A half-filled form survives a restart of both servers (SQL tracker store)."""
from tests.servers import Servers, test_port, texts


def test_identity_form_continues_after_both_servers_restart(tmp_path):
    servers = Servers(tmp_path, rasa_port=test_port(15105), action_port=test_port(15155)).start()
    try:
        servers.say("restart-1", "我想查保单")
        assert "身份证" in texts(servers.say("restart-1", "13800000001"))
    finally:
        servers.stop()
    servers.start()
    try:
        reply = texts(servers.say("restart-1", "5821"))
        assert "身份已确认" in reply and "P2019000001" in reply
    finally:
        servers.stop()
