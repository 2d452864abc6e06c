"""A server that takes TCP connections and never answers: outbound HTTPS through a stuck proxy.

It runs in a thread of its own, so it keeps holding connections even while the
event loop under test is blocked. Each connection is held until `release()` or
until `cap` seconds have passed (then `gave_up` is set), so code that waits on it
without a time-out hangs for `cap` seconds instead of for ever.
"""

from __future__ import annotations

import socket
import threading


class HangingServer:
    def __init__(self, cap: float = 10.0):
        self.cap = cap
        self.connected = threading.Event()  # someone connected
        self.gave_up = threading.Event()  # a connection was held for the whole cap and then closed
        self._released = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> HangingServer:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connected.set()
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        if not self._released.wait(self.cap):
            self.gave_up.set()
        conn.close()

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self._stopped = True
        self.release()
        self._thread.join(2)
        self._sock.close()
