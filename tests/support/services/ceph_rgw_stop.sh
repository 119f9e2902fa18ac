#!/usr/bin/env bash
# Stop the one-node Ceph started by ceph_rgw_start.sh: kills exactly the PIDs in $CEPH_DIR/run/*.pid
# (TERM to all at once, KILL whatever still runs after $GRACE seconds, default 2: radosgw alone
# takes ~6 s to exit on TERM and a test cluster has nothing worth flushing), then removes $CEPH_DIR
# unless KEEP=1. Vendored from ../shared/reference/real-services/ceph_rgw_stop.sh.
D=${CEPH_DIR:-/tmp/newsarc-ceph}
GRACE=${GRACE:-2}
pids=()
for f in "$D"/run/client.rgw.a.pid "$D"/run/osd.*.pid "$D"/run/mon.a.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f")
  kill "$p" 2>/dev/null && { echo "stopping $(basename "$f" .pid) pid $p"; pids+=("$p"); }
  rm -f "$f"
done
for _ in $(seq 1 $((GRACE * 10))); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
[ "${KEEP:-0}" = 1 ] || rm -rf "$D"
exit 0
