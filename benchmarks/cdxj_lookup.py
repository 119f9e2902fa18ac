"""CDXJ lookup benchmark: binary search in a 1M-line sorted index, local file and S3 object.

Usage: .venv/bin/python -m benchmarks.cdxj_lookup [--lines 1000000] [--lookups 1000] [--seed 1]
       [--block-size 16384] [--s3-endpoint http://127.0.0.1:PORT [--s3-bucket NAME]
       [--s3-block-size 65536]]

Builds (once per lines/seed; kept under ``benchmarks/work/cdxj-lookup/``) a deterministic sorted
CDXJ of realistic lines — many hosts and subdomains, dated article paths, queries, 1 to 6 captures
per URL, the fields cdxj-indexer writes — then times ``archive.cdxj.lookup.lookup`` for random
URLs (90 % present, 10 % misses, some on unknown hosts):

- ``cold``: a new source per lookup (empty block cache; for S3 this includes the HEAD; a local
  file is in the OS page cache);
- ``warm``: one source for every lookup (its LRU block cache kept), after 200 other lookups;
- ``cold_disk`` (local only): as cold, and the file dropped from the OS page cache first
  (``posix_fadvise(DONTNEED)``), so every read goes to the disk.

S3 credentials come from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``. Prints JSON and
writes ``benchmarks/results/cdxj-lookup-<date>.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.cdxj.index import cdxj_bytes, format_line, parse_line, sort_lines, surt_key
from archive.cdxj.lookup import lookup
from archive.cdxj.sources import (
    BLOCK_SIZE,
    CACHE_BYTES,
    STORAGE_BLOCK_SIZE,
    FileSource,
    RangeSource,
)
from benchmarks.machine import describe_machine

HERE = Path(__file__).parent
RESULTS = HERE / "results"
WORK = HERE / "work" / "cdxj-lookup"
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "za", "pe", "gu", "dan", "bel"]
SYLLABLES += ["cor", "fin", "gra", "hol", "jus", "kel", "mar", "nor", "pol"]
TLDS = ["com", "org", "net", "de", "fr", "co.uk", "ru", "it", "es", "info"]
SECTIONS = ["world", "politics", "business", "europe", "asia", "sport", "culture", "opinion"]
MIMES = ["text/html"] * 12 + ["image/jpeg", "application/json", "text/css", "image/png"]
STATUSES = ["200"] * 16 + ["301", "302", "404"]


def host_names(rng: random.Random, count: int) -> list[str]:
    hosts: set[str] = set()
    while len(hosts) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        sub = rng.choice(["www.", "www.", "", "news.", "m.", "en."])
        hosts.add(f"{sub}{name}{rng.randint(1, 99)}.{rng.choice(TLDS)}")
    return sorted(hosts)


def article_url(rng: random.Random, host: str) -> str:
    day = date(2023, 1, 1) + timedelta(days=rng.randint(0, 730))
    slug = "-".join(rng.choice(SYLLABLES) + rng.choice(SYLLABLES) for _ in range(rng.randint(2, 7)))
    path = f"/{rng.choice(SECTIONS)}/{day:%Y/%m/%d}/{slug}-{rng.randint(1000, 999999)}"
    kind = rng.random()
    if kind < 0.6:
        path += ".html"
    elif kind < 0.8:
        path += f"/?utm_source=feed&page={rng.randint(1, 5)}"
    return f"{rng.choice(['https', 'https', 'http'])}://{host}{path}"


def build_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    hosts = host_names(rng, max(10, count // 200))
    start = datetime(2023, 1, 1, tzinfo=UTC)
    lines: list[str] = []
    offset = serial = 0
    while len(lines) < count:
        url = article_url(rng, rng.choice(hosts))
        key = surt_key(url)
        for _ in range(rng.randint(1, 6)):
            length = rng.randint(2_000, 90_000)
            if offset > 1_000_000_000:
                offset, serial = 0, serial + 1
            stamp = start + timedelta(seconds=rng.randint(0, 730 * 86400))
            fields = {
                "url": url,
                "mime": rng.choice(MIMES),
                "status": rng.choice(STATUSES),
                "digest": "sha1:" + base64.b32encode(rng.randbytes(20)).decode(),
                "length": str(length),
                "offset": str(offset),
                "filename": f"crawl-20230101000000000-{serial:05d}-newsarc.warc.gz",
            }
            lines.append(format_line(key, f"{stamp:%Y%m%d%H%M%S}", fields))
            offset += length
    return sort_lines(lines[:count])


def ensure_index(count: int, seed: int) -> tuple[Path, float]:
    path = WORK / f"index-{count}-s{seed}.cdxj"
    if path.exists():
        return path, 0.0
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(cdxj_bytes(build_lines(count, seed)))
    tmp.replace(path)
    return path, time.perf_counter() - started


def targets(path: Path, count: int, seed: int) -> list[tuple[str, bool]]:
    """(url, expected to be present): URLs of lines at random offsets, and misses."""
    rng = random.Random(seed + 1)
    size = path.stat().st_size
    found: list[tuple[str, bool]] = []
    with path.open("rb") as fh:
        while len(found) < count:
            fh.seek(rng.randrange(size))
            fh.readline()
            line = fh.readline()
            if not line:  # the offset fell in the last line: take the first
                fh.seek(0)
                line = fh.readline()
            url = parse_line(line.decode()).url or ""
            miss = rng.random()
            if miss < 0.05:
                found.append((url.rstrip("/") + "-gone", False))
            elif miss < 0.10:
                found.append((f"https://www.unknown{rng.randint(1, 10**6)}.example/news/", False))
            else:
                found.append((url, True))
    return found


def timed(
    make: Callable[[], RangeSource],
    urls: list[tuple[str, bool]],
    before: Callable[[], None] | None = None,
    *,
    close: bool = True,
) -> dict[str, Any]:
    times, reads, wrong = [], [], 0
    for url, present in urls:
        if before is not None:
            before()
        t0 = time.perf_counter()
        source = make()
        got = lookup(source, url)
        times.append((time.perf_counter() - t0) * 1000)
        reads.append(getattr(source, "reads", 0))
        wrong += bool(got) != present or any(e.urlkey != surt_key(url) for e in got)
        if close and hasattr(source, "close"):
            source.close()
    return summary(times, reads, wrong)


def summary(times: list[float], reads: list[int], wrong: int) -> dict[str, Any]:
    times = sorted(times)
    return {
        "lookups": len(times),
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
        "max_ms": round(times[-1], 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "mean_reads": round(statistics.fmean(reads), 2),
        "max_reads": max(reads),
        "wrong_results": wrong,
    }


def drop_page_cache(path: Path) -> Callable[[], None]:
    def drop() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)

    return drop


def prime_page_cache(path: Path) -> None:
    """Read the file once, so ``cold`` starts from the OS page cache (a prior run may drop it)."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def run_source(
    make: Callable[[], Any],
    urls: list[tuple[str, bool]],
    warmup: list[tuple[str, bool]],
    local_path: Path | None = None,
) -> dict[str, Any]:
    if local_path is not None:
        prime_page_cache(local_path)
    out: dict[str, Any] = {"cold": timed(make, urls)}
    shared = make()
    for url, _ in warmup:
        lookup(shared, url)
    before = shared.reads
    out["warm"] = timed(lambda: shared, urls, close=False)
    out["warm"]["mean_reads"] = round((shared.reads - before) / len(urls), 2)
    out["warm"].pop("max_reads")
    if local_path is not None:  # last: it leaves the file out of the page cache
        out["cold_disk"] = timed(make, urls, drop_page_cache(local_path))
    return out


def s3_source(args: argparse.Namespace, path: Path) -> Callable[[], Any]:
    from archive.cdxj.sources import StorageSource
    from archive.storage.s3 import S3Options, S3Storage

    storage = S3Storage(
        args.s3_bucket,
        "bench",
        endpoint_url=args.s3_endpoint,
        options=S3Options(region_name="us-east-1"),
        access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
    )
    key = path.name
    info = storage.stat(key)
    if info is None or info.size != path.stat().st_size:
        storage.put_file(key, path)
    return lambda: StorageSource(storage, key, block_size=args.s3_block_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--block-size", type=int, default=BLOCK_SIZE)
    parser.add_argument("--s3-block-size", type=int, default=STORAGE_BLOCK_SIZE)
    parser.add_argument("--s3-endpoint", default=None)
    parser.add_argument("--s3-bucket", default="newsarc-bench")
    parser.add_argument("--out", type=Path, default=None, help="result JSON path")
    args = parser.parse_args()
    path, build_s = ensure_index(args.lines, args.seed)
    picked = targets(path, args.lookups + 200, args.seed)
    urls, warmup = picked[: args.lookups], picked[args.lookups :]
    result: dict[str, Any] = {
        "date": date.today().isoformat(),
        "lines": args.lines,
        "index_bytes": path.stat().st_size,
        "build_seconds": round(build_s, 1) if build_s else "reused",
        "block_size": args.block_size,
        "cache_bytes": CACHE_BYTES,
        "lookups": len(urls),
        "misses": sum(not present for _, present in urls),
    }
    result["local"] = run_source(
        lambda: FileSource(path, block_size=args.block_size), urls, warmup, local_path=path
    )
    if args.s3_endpoint:
        result["s3"] = run_source(s3_source(args, path), urls, warmup)
        result["s3"]["block_size"] = args.s3_block_size
    result["machine"] = describe_machine(HERE.parent)
    out = args.out or RESULTS / f"cdxj-lookup-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
