"""Half-filled forms survive a restart of both servers (SQL tracker store)."""
from tests.servers import Servers, shifted_port, texts


def test_identity_and_claim_forms_continue_after_both_servers_restart(tmp_path):
    servers = Servers(tmp_path, rasa_port=shifted_port(15105), action_port=shifted_port(15155))

    def restart() -> None:
        servers.stop()
        servers.start()

    servers.start()
    try:
        servers.say("restart-1", "我想查保单")
        assert "身份证" in texts(servers.say("restart-1", "13800000001"))
        restart()
        reply = texts(servers.say("restart-1", "5821"))
        assert "身份已确认" in reply and "P2019000001" in reply

        assert "发生了什么事" in texts(servers.say("restart-1", "我要报案"))
        assert "哪一天" in texts(servers.say("restart-1", "意外受伤"))
        restart()
        assert "在哪里" in texts(servers.say("restart-1", "前天"))  # the form goes on where it was
        servers.say("restart-1", "公园")
        servers.say("restart-1", "散步摔倒")
        summary = texts(servers.say("restart-1", "三百块"))
        assert "意外" in summary and "公园" in summary  # the answer given before the restart is kept
    finally:
        servers.stop()
