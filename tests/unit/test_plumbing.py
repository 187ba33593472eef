"""The shared test and dev plumbing: ports for the servers the suite starts."""

import socket

from devstack.plumbing import ephemeral_ports_start, free_port


def test_a_free_port_is_below_the_range_outgoing_connections_take_their_ports_from() -> None:
    # When the suite asks for a port for a stack it starts a moment later
    port = free_port()

    # Then no client's outgoing connection can be given it meanwhile, and a server can listen on it
    assert port < ephemeral_ports_start()
    with socket.create_server(("127.0.0.1", port)):
        pass
