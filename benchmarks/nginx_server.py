"""A private nginx (Debian's package) serving a directory on 127.0.0.1, for the benchmarks.

Its config, pid file, error log and temp dirs live under a work directory of its own; it runs
in the foreground (``daemon off``) as our child, with ``access_log off``, and is stopped with
SIGQUIT (graceful), then SIGTERM/SIGKILL if it lingers; if our process dies first, the kernel
sends nginx SIGTERM (``PR_SET_PDEATHSIG``). Never touches a system nginx.

    python benchmarks/nginx_server.py DIR [--port 8080]    # serve DIR until Ctrl-C
"""

from __future__ import annotations

import argparse
import ctypes
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
_TICK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM (nginx's fast shutdown) when our process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def terminate_on_sigterm() -> None:
    """Turn SIGTERM (and SIGHUP) into SystemExit, so ``with Nginx(...)`` blocks clean up."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def ensure_debian_package(binary: str, package: str) -> str:
    """Path of ``binary``; installs the Debian ``package`` with apt-get if it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"{binary} is missing: run `sudo apt-get install -y {package}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if not found:
        raise SystemExit(f"installed {package} but found no {binary}")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    """user+sys CPU seconds of one live process, from /proc (0.0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


class Nginx:
    """``with Nginx(root, work) as web: ... web.base_url ...``"""

    def __init__(self, root: Path, work: Path, port: int = 0) -> None:
        self.root = root.resolve()
        self.work = work.resolve()
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        user = getpass.getuser()
        return TEMPLATE.read_text().format(
            user_line=f"user {user};" if os.geteuid() == 0 else "",
            work=self.work,
            port=self.port,
            root=self.root,
        )

    def start(self, attempts: int = 5) -> None:
        binary = ensure_debian_package("nginx", "nginx-light")
        for d in ("logs", "tmp"):
            (self.work / d).mkdir(parents=True, exist_ok=True)
        fixed = self.port != 0
        for _ in range(attempts):
            if not fixed:
                self.port = free_port()
            conf = self.work / "nginx.conf"
            conf.write_text(self.config())
            log = self.work / "logs" / "error.log"
            cmd = [binary, "-p", str(self.work), "-c", str(conf), "-e", str(log)]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            if self._wait_ready():
                return
            self.stop()
            if fixed:
                break
        raise RuntimeError(f"nginx did not start; see {self.work / 'logs' / 'error.log'}")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            kids = [int(p) for p in children.read_text().split()]
        except OSError:
            kids = []
        return [self.proc.pid, *kids]

    def cpu_seconds(self) -> float:
        """user+sys CPU of the master and workers so far."""
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGQUIT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            proc.send_signal(sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path, help="directory to serve")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "nginx")
    args = parser.parse_args()
    terminate_on_sigterm()
    with Nginx(args.root, args.work, args.port) as web:
        print(f"serving {args.root} at {web.base_url}/ (Ctrl-C to stop)", flush=True)
        try:
            assert web.proc is not None
            web.proc.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
