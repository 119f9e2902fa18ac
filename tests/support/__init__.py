"""What the tests share: local servers (HTTP, forward proxy, Ceph RGW), crawl runners, archives."""

import socket
import threading
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data"


def accept_forever(sock: socket.socket, handle: Callable[[socket.socket], None]) -> None:
    """Serve each connection of a listening ``sock`` on its own thread, until it is closed."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
