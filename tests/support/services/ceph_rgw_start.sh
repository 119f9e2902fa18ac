#!/usr/bin/env bash
# One-node Ceph RGW (Debian bookworm, Ceph 16 Pacific) for newsarc's S3 tests: 1 mon + 1 OSD + radosgw,
# run as the current user, all state under $CEPH_DIR, every socket on 127.0.0.1. No mgr, no cephx.
# Vendored from ../shared/reference/real-services/ceph_rgw_start.sh; changes: fails (non-zero, log tail on
# stderr) when a daemon does not come up instead of carrying on, and checks the binaries first.
# Install: scripts/ensure-services.sh  (apt-get install radosgw ceph-mon ceph-osd uuid-runtime curl)
# Usage:   CEPH_DIR=/tmp/x RGW_PORT=17480 MON_PORT=13300 tests/support/services/ceph_rgw_start.sh; stop: ceph_rgw_stop.sh
# Env:     CEPH_DIR (/tmp/newsarc-ceph), RGW_PORT (17480), MON_PORT (13300), OSD_BYTES (20 GiB, sparse file),
#          RGW_TLS_PORT -> also HTTPS with a throw-away self-signed cert ($CEPH_DIR/tls.crt; needs openssl),
#          STORE=bluestore (default) | memstore, RGW_ACCESS_KEY / RGW_SECRET_KEY (testkey / testsecret).
set -euo pipefail
D=${CEPH_DIR:-/tmp/newsarc-ceph}
RGW_PORT=${RGW_PORT:-17480}
MON_PORT=${MON_PORT:-13300}
OSD_BYTES=${OSD_BYTES:-21474836480}
STORE=${STORE:-bluestore}
AK=${RGW_ACCESS_KEY:-testkey}
SK=${RGW_SECRET_KEY:-testsecret}
T0=$(date +%s.%N)

for b in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph uuidgen curl; do
  command -v "$b" >/dev/null || {
    echo "ceph_rgw_start: '$b' not found. Install the S3 test server with scripts/ensure-services.sh" \
      "(as root: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl)" >&2
    exit 127
  }
done
if [ -e "$D/run" ] && ls "$D"/run/*.pid >/dev/null 2>&1; then
  echo "ceph_rgw_start: already running in $D; run ceph_rgw_stop.sh first" >&2; exit 1
fi

fail() {  # fail <what> <log file>
  echo "ceph_rgw_start: $1 did not come up; last lines of $2:" >&2
  tail -n 30 "$2" >&2 2>/dev/null || true
  exit 1
}

rm -rf "$D"; mkdir -p "$D"/{run,log,mon.a,osd.0,rgw}
FRONTEND="beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1"
if [ -n "${RGW_TLS_PORT:-}" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/tls.key" -out "$D/tls.crt" -days 30 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  cat "$D/tls.crt" "$D/tls.key" > "$D/tls.pem"
  FRONTEND="$FRONTEND ssl_endpoint=127.0.0.1:$RGW_TLS_PORT ssl_certificate=$D/tls.pem"
fi
FSID=$(uuidgen)
C="$D/ceph.conf"
cat > "$C" <<CONF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
public_network = 127.0.0.0/8
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# with auth 'none' the 'secure' messenger mode is impossible; daemons default to secure-only toward mons
ms_mon_client_mode = crc
ms_client_mode = crc
ms_mon_service_mode = crc
ms_mon_cluster_mode = crc
ms_service_mode = crc
ms_cluster_mode = crc
run_dir = $D/run
admin_socket = $D/run/\$name.asok
pid_file = $D/run/\$name.pid
log_file = $D/log/\$name.log
crash_dir = $D/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 1
mon_data_avail_crit = 0
# test cluster: propose map changes at once (default 1 s each; radosgw makes ~10 of them at start)
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[mon]
mon_data = $D/mon.\$id
[osd]
osd_data = $D/osd.\$id
osd_objectstore = $STORE
memstore_device_bytes = $OSD_BYTES
bluestore_block_path = $D/osd.\$id.block
bluestore_block_size = $OSD_BYTES
bluestore_block_create = true
bluestore_cache_size = 134217728
osd_memory_target = 939524096
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
[client.rgw.a]
rgw_frontends = $FRONTEND
rgw_data = $D/rgw
rgw_dns_name = 127.0.0.1
rgw_enable_usage_log = false
rgw_thread_pool_size = 64
CONF

monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" >"$D/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs" "$D/log/mon-mkfs.out"
ceph-mon -c "$C" -i a </dev/null >>"$D/log/daemons.out" 2>&1
ok=0
for _ in $(seq 1 150); do ceph -c "$C" --connect-timeout 2 mon stat >/dev/null 2>&1 && { ok=1; break; }; sleep 0.2; done
[ $ok = 1 ] || fail "ceph-mon (port $MON_PORT)" "$D/log/mon.a.log"

OSD_UUID=$(uuidgen)
OSD_ID=$(ceph -c "$C" osd new "$OSD_UUID")
ceph-osd -c "$C" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs" "$D/log/osd-mkfs.out"
ceph-osd -c "$C" -i "$OSD_ID" </dev/null >>"$D/log/daemons.out" 2>&1
ok=0
for _ in $(seq 1 300); do
  ceph -c "$C" osd dump 2>/dev/null | grep -q "^osd.$OSD_ID up" && { ok=1; break; }; sleep 0.2
done
[ $ok = 1 ] || fail "ceph-osd" "$D/log/osd.$OSD_ID.log"

radosgw -c "$C" -n client.rgw.a </dev/null >>"$D/log/daemons.out" 2>&1
ok=0
for _ in $(seq 1 450); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && { ok=1; break; }; sleep 0.2; done
[ $ok = 1 ] || fail "radosgw (port $RGW_PORT)" "$D/log/client.rgw.a.log"
radosgw-admin -c "$C" user create --uid=test --display-name=test --access-key="$AK" --secret-key="$SK" \
  >"$D/log/user.json" 2>"$D/log/user.err" \
  || radosgw-admin -c "$C" user info --uid=test >"$D/log/user.json" 2>>"$D/log/user.err" \
  || fail "radosgw-admin user create" "$D/log/user.err"
T1=$(date +%s.%N)
echo "ceph/rgw ready in $(awk "BEGIN{printf \"%.1f\", $T1-$T0}")s: endpoint http://127.0.0.1:$RGW_PORT store=$STORE"
if [ -n "${RGW_TLS_PORT:-}" ]; then echo "https endpoint https://127.0.0.1:$RGW_TLS_PORT (CA bundle: $D/tls.crt)"; fi
echo "pids: mon=$(cat "$D/run/mon.a.pid") osd=$(cat "$D/run/osd.$OSD_ID.pid") rgw=$(cat "$D/run/client.rgw.a.pid")"
