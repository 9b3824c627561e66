"""Issue 12 item 1: both servers, as scripts/run.sh starts them, listen on loopback only by default."""
from tests.servers import network_address, port_in_use


def test_neither_server_is_reachable_on_a_network_address(servers):
    address = network_address()
    for port in (servers.rasa_port, servers.action_port):
        assert port_in_use(port), "listening on loopback"
        assert not port_in_use(port, address), f"{address}:{port} answers"
