"""The machine and software versions a benchmark ran on, for its results file."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any


def _out(*command: str, cwd: Path | None = None) -> str:
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        return ""
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    return (proc.stdout + proc.stderr).strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return ""


def describe_machine(repo: Path) -> dict[str, Any]:
    status = _out("git", "status", "--porcelain", cwd=repo)
    return {
        "nproc": _out("nproc"),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory": _out("free", "-h"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "scrapy": _version("scrapy"),
        "twisted": _version("twisted"),
        "nginx": _out("/usr/sbin/nginx", "-v"),
        "wget": _out("wget", "--version").splitlines()[0] if shutil.which("wget") else "",
        "newsarc_commit": _out("git", "rev-parse", "--short", "HEAD", cwd=repo),
        "newsarc_uncommitted_paths": len(status.splitlines()) if status else 0,
    }
