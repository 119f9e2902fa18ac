"""What the tests share: local servers (HTTP, forward proxy, Ceph RGW), crawl runners, archives."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data"
