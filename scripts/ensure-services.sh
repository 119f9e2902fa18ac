#!/usr/bin/env bash
# Make sure the servers the test suite starts by itself are installed:
#   Ceph RGW (real S3 for tests/test_storage*.py): radosgw ceph-mon ceph-osd + uuid-runtime curl openssl;
#   redis-server (real Redis for the distributed-crawl tests, tests/support/redisserver.py);
#   chromium (headless, renders `newsarc report` in tests/e2e/test_report.py).
# Installs the missing Debian packages when run as root on a system with apt-get; otherwise prints
# the command to run and exits 1. Used by `make test` and .ci/run. Does nothing when all are present.
# Skipped when S3_ENDPOINT_URL points at a running S3 server, or NEWSARC_SKIP_ENSURE_SERVICES=1.
set -euo pipefail
[ "${NEWSARC_SKIP_ENSURE_SERVICES:-0}" = 1 ] && exit 0
# program -> Debian package
declare -A PKG=(
  [radosgw]=radosgw [radosgw-admin]=ceph-common [ceph]=ceph-common [ceph-mon]=ceph-mon
  [monmaptool]=ceph-base [ceph-osd]=ceph-osd [uuidgen]=uuid-runtime [curl]=curl [openssl]=openssl
  [redis-server]=redis-server [chromium]=chromium
)
missing=()
for prog in "${!PKG[@]}"; do
  case "$prog" in redis-server|chromium) ;; *) [ -n "${S3_ENDPOINT_URL:-}" ] && continue ;; esac
  command -v "$prog" >/dev/null 2>&1 || missing+=("${PKG[$prog]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# radosgw ceph-mon ceph-osd pull in ceph-common and ceph-base
ceph=""
case " ${missing[*]} " in *" ceph-"*|*" radosgw "*|*" ceph-common "*) ceph="radosgw ceph-mon ceph-osd" ;; esac
want=$(printf '%s\n' "${missing[@]}" $ceph | sed 's/^ceph-common$//; s/^ceph-base$//' | sort -u | xargs)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-services: installing $want (Ceph RGW, Redis, Chromium for the tests)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $want >/dev/null
  exit 0
fi
echo "ensure-services: missing programs for the S3 tests; install them with:" >&2
echo "  sudo apt-get install -y --no-install-recommends $want" >&2
echo "  (or point S3_ENDPOINT_URL at a running S3 server; see tests/support/s3fixtures.py)" >&2
exit 1
