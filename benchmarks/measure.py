"""Run one command and measure it: wall time, CPU of its process tree, peak RSS, server CPU.

The command runs under this file as a small wrapper that makes itself a child subreaper
(``PR_SET_CHILD_SUBREAPER``): descendants orphaned on the way (a multiprocessing forkserver
and its workers, say) are re-parented to it and reaped by it, and it exits only when the whole
tree has. So ``os.wait4`` on the wrapper gives user+sys CPU of every process of the tree and
the largest resident set among them (Linux: KiB), and the wall time ends when the last one
does. The server's CPU (nginx master + worker) is read from /proc before and after.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measured:
    command: list[str]
    exit_code: int
    wall_seconds: float
    user_seconds: float
    sys_seconds: float
    max_rss_kib: int
    server_cpu_seconds: float
    machine_busy_seconds: float  # all CPUs, every process: others' load shows up here
    timed_out: bool
    steal_seconds: float = 0.0  # CPU the hypervisor gave to other machines meanwhile (in busy)
    cpu_split: dict[str, float] | None = None
    cmds: object = None  # CPU s by process role (sampled from /proc)
    tree_pss_peak_kib: int = 0  # the whole process tree at once (shared pages split), sampled
    rss_peak_kib_by_role: dict[str, int] | None = None  # the largest process of each role
    main_threads: dict[str, float] | None = None  # CPU s of the main process, by thread

    @property
    def other_cpu_seconds(self) -> float:
        """CPU used meanwhile by processes that are neither the tool's nor the server's."""
        return max(0.0, self.machine_busy_seconds - self.cpu_seconds - self.server_cpu_seconds)

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.sys_seconds


def machine_busy_seconds() -> float:
    """Non-idle CPU seconds of all CPUs since boot (/proc/stat), for the "others" check."""
    fields = _cpu_line()
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK  # user..steal; guest time is already in user


def machine_steal_seconds() -> float:
    """CPU seconds stolen from this virtual machine since boot (/proc/stat "steal"): time its
    CPUs wanted to run but the hypervisor ran another guest. Part of the "others" figure."""
    return _cpu_line()[7] / _TICK


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of one process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _cpu_line() -> list[int]:
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def run_measured(
    command: list[str],
    *,
    stdout: Path,
    stderr: Path,
    timeout: float,
    server_cpu: Callable[[], float] = lambda: 0.0,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run ``command`` to completion (killed after ``timeout`` seconds) and measure it."""
    cpu_before, busy_before = server_cpu(), machine_busy_seconds()
    steal_before = machine_steal_seconds()
    timed_out = threading.Event()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        _inherit_autogroup_nice(proc.pid)

        def kill() -> None:
            timed_out.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): take the child's tree down too
            os.killpg(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
    return Measured(
        command=command,
        exit_code=proc.returncode,
        wall_seconds=wall,
        user_seconds=usage.ru_utime,
        sys_seconds=usage.ru_stime,
        max_rss_kib=usage.ru_maxrss,
        server_cpu_seconds=server_cpu() - cpu_before,
        machine_busy_seconds=machine_busy_seconds() - busy_before,
        timed_out=timed_out.is_set(),
        steal_seconds=machine_steal_seconds() - steal_before,
        cpu_split=sampler.split(),
        main_threads={k: round(v, 2) for k, v in sampler.main_threads.items()},
        tree_pss_peak_kib=sampler.pss_peak,
        rss_peak_kib_by_role=dict(sampler.rss_peak),
    )


class _TreeSampler(threading.Thread):
    """User+sys CPU of the processes under ``root``, by role: ``main`` (the tool itself),
    ``workers`` (a multiprocessing forkserver and its children), ``other`` (the rest).

    Once a second it walks the tree through ``/proc/<pid>/task/<pid>/children`` and reads each
    process's ``stat`` (and its command line once): cheap enough not to disturb what it
    measures (scanning all of /proc five times a second cost ~3 % of a core). A forkserver's
    figure includes the CPU of the workers it has reaped (``cutime``/``cstime``), so workers
    that exit between two samples are still counted. Approximate: the last second of a process
    can be missed; the measurement's totals come from ``wait4``."""

    def __init__(self, root: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.roles: dict[int, str] = {}
        self.own: dict[int, float] = {}  # last user+sys seen, per pid
        self.reaped: dict[int, float] = {}  # last cutime+cstime seen, per forkserver
        self.pss_peak = 0  # KiB: the largest sum of the tree's proportional set sizes
        self.rss_peak: dict[str, int] = {}  # KiB: the largest RSS of one process, per role
        self.main_threads: dict[str, float] = {}  # CPU s of the main process: its main thread
        # (the reactor) and its other threads together (the WARC writer, Scrapy's DNS pool)
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _sample(self) -> None:
        todo = [(self.root, None)]
        pss = 0
        while todo:
            pid, parent = todo.pop()
            base = f"/proc/{pid}"
            try:
                fields = Path(f"{base}/stat").read_text().rsplit(")", 1)[1].split()
                children = Path(f"{base}/task/{pid}/children").read_text().split()
                if pid != self.root and pid not in self.roles:
                    cmd = Path(f"{base}/cmdline").read_bytes()
                    self.roles[pid] = self._role(cmd, parent)
            except OSError:
                continue
            todo += [(int(c), pid) for c in children]
            if pid == self.root:
                continue
            self.own[pid] = (int(fields[11]) + int(fields[12])) / _TICK
            if self.roles[pid] == "workers" and self.roles.get(parent or 0) != "workers":
                self.reaped[pid] = (int(fields[13]) + int(fields[14])) / _TICK
            role = self.roles[pid]
            if role == "main":
                self._sample_threads(base, pid)
            rss = int(fields[21]) * _PAGE_KIB
            self.rss_peak[role] = max(self.rss_peak.get(role, 0), rss)
            pss += _pss_kib(pid)
        self.pss_peak = max(self.pss_peak, pss)

    def _sample_threads(self, base: str, pid: int) -> None:
        total = self.own[pid]
        try:
            fields = Path(f"{base}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return
        reactor = (int(fields[11]) + int(fields[12])) / _TICK
        self.main_threads = {
            "main thread": reactor,
            "other threads": max(0.0, total - reactor),
        }

    def _role(self, cmd: bytes, parent: int | None) -> str:
        if b"forkserver" in cmd or self.roles.get(parent or 0) == "workers":
            return "workers"
        return "main" if parent == self.root else "other"

    def split(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, cpu in self.own.items():
            out[self.roles[pid]] = out.get(self.roles[pid], 0.0) + cpu
        if self.reaped:  # exited workers, as their forkserver saw them, if that is more
            servers = [p for p in self.reaped]
            seen_workers = out.get("workers", 0.0) - sum(self.own[p] for p in servers)
            reaped = sum(self.reaped.values())
            out["workers"] = sum(self.own[p] for p in servers) + max(seen_workers, reaped)
        return {k: round(v, 2) for k, v in out.items()}


def _inherit_autogroup_nice(pid: int) -> None:
    """Give ``pid``'s new session the caller's autogroup weight (Linux ``sched_autogroup``).

    A new session is a new CPU autogroup, and the scheduler shares the CPU among autogroups
    before nice values count. Run from a session of raised weight (``setsid``, then ``echo -20
    > /proc/self/autogroup``), the measured tool keeps it, so other sessions' work on a shared
    machine takes only the CPU it leaves idle. Best effort: nothing changes where autogroups
    are off or the weight cannot be raised."""
    try:
        mine = Path("/proc/self/autogroup").read_text().split()
        nice = int(mine[mine.index("nice") + 1])
        if nice:
            Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except (OSError, ValueError, IndexError):
        pass


def _pss_kib(pid: int) -> int:
    """Proportional set size (shared pages divided among their users), 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _reap_tree(command: list[str]) -> int:
    """Run ``command``, then reap every orphaned descendant; its exit code (128+N if signalled)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    code = subprocess.call(command)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(_reap_tree(sys.argv[1:]))
