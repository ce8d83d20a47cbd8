"""How uvicorn serves the hub: the choices ``hub serve``, ``hub demo`` and the tests share."""

#: uvicorn's sans-I/O websockets protocol writes each frame straight to the socket, waiting
#: only while the socket's buffer is full (so a stalled client still fills its queue and is
#: dropped). Its default, the legacy ``websockets`` protocol, adds a task and an awaited
#: drain per message: with it the live stream's p99 at 1,000 clients was 1.95 x a bare
#: ``websockets.broadcast`` server's, with this 1.46 x (benchmarks/fanout.py, issue 13).
WEBSOCKETS = "websockets-sansio"
