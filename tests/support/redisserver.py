"""A private, real ``redis-server`` on 127.0.0.1 for the cluster tests (Debian's package,
installed by scripts/ensure-services.sh). Append-only persistence is on, so a test can stop the
server (an outage) and start it again with its data, as a production Redis would keep it.
Set ``REDIS_URL`` to use a running server instead (it is flushed: use a spare database)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run scripts/ensure-services.sh")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "redis.conf"
        conf.write_text(
            f"bind 127.0.0.1\nport {self.port}\nprotected-mode yes\ndir {self.dir}\n"
            'save ""\nappendonly yes\nappendfsync always\n'
            f"logfile {self.dir / 'redis.log'}\n"
        )
        quiet = subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [self.binary, str(conf)], stdin=quiet, stdout=quiet, stderr=quiet
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start: {self.dir / 'redis.log'}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def external_url() -> str | None:
    return os.environ.get("REDIS_URL") or None
