"""Serve the demo web until Ctrl-C: ``python -m crawler.demoweb [--port N]``.

Example:
    python -m crawler.demoweb --port 8808
    curl --connect-to globe.test:80:127.0.0.1:8808 http://globe.test/
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from .server import DemoWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.demoweb",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="delay of the slow page")
    parser.add_argument("--huge-bytes", type=int, default=12 * 1024 * 1024, help="huge page size")
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM both stop cleanly, even when started in the background (SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    web = DemoWeb(slow_seconds=args.slow_seconds, huge_bytes=args.huge_bytes, port=args.port)
    try:  # the whole serving block, so a Ctrl-C at any moment after start stops cleanly
        with web:
            print(f"demo web listening on 127.0.0.1:{web.port}; virtual hosts:", flush=True)
            for host, address in web.connect_to().items():
                print(f"  http://{host}/  ->  {address}", flush=True)
            print(f"try: curl --connect-to globe.test:80:127.0.0.1:{web.port} http://globe.test/")
            print(f"crawl: newsarc crawl EVENT_FILE --connect-to '*.test=127.0.0.1:{web.port}'")
            print("Ctrl-C to stop.", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping.", flush=True)
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
