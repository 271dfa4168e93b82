"""The HTTP listener's connections have Nagle off: a response written as head then body must not
wait for the client's delayed ACK (~40 ms per request on a kept-alive connection)."""

from __future__ import annotations

import asyncio
import socket

from quotemaild.config import Listen
from quotemaild.edges.http.server import bind


async def test_accepted_connections_set_tcp_nodelay():
    sock = bind(Listen(host="127.0.0.1", port=0))
    got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=sock)  # as uvicorn serves it: loop.create_server
    _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
    try:
        assert await asyncio.wait_for(got, 10) != 0
    finally:
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
