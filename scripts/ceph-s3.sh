#!/usr/bin/env bash
# A throwaway single-node Ceph S3 gateway (RGW) on 127.0.0.1 for the `s3` tests (ADR 0026; stack.md §7).
#   scripts/ceph-s3.sh start [DIR]   starts mon + memstore OSD + radosgw in DIR (default: a new temp dir), creates
#                                    a user and the bucket, and prints the env lines to use (also in DIR/env)
#   scripts/ceph-s3.sh stop DIR      stops the three daemons by PID and removes DIR
# Needs: apt-get install -y radosgw ceph-mon ceph-osd uuid-runtime. Ports: ZHIFA_CEPH_MON_PORT (16789),
# ZHIFA_CEPH_RGW_PORT (17480).
set -euo pipefail
MON_PORT=${ZHIFA_CEPH_MON_PORT:-16789}
RGW_PORT=${ZHIFA_CEPH_RGW_PORT:-17480}
ACCESS=zhifatestaccess
SECRET=zhifatestsecret0123456789
BUCKET=zhifa-evidence

start() {
  local dir=${1:-$(mktemp -d /tmp/zhifa-ceph.XXXXXX)}
  mkdir -p "$dir"/{run,log,mon,osd}
  local fsid; fsid=$(uuidgen)
  cat > "$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
ms bind msgr2 = false
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
[mon]
mon data = $dir/mon/\$cluster-\$id
[osd]
osd data = $dir/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd max object name len = 256
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $dir/rgw
CONF
  export CEPH_CONF="$dir/ceph.conf"
  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
  ceph-mon -i a
  local osd_uuid; osd_uuid=$(uuidgen)
  ceph osd create "$osd_uuid" >/dev/null
  mkdir -p "$dir/osd/ceph-0" "$dir/rgw"
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph osd crush add osd.0 1 root=default host=localhost >/dev/null 2>&1
  ceph-osd -i 0
  for _ in $(seq 120); do ceph osd stat 2>/dev/null | grep -q "1 up" && break; sleep 0.5; done
  ceph osd stat 2>/dev/null | grep -q "1 up" || { echo "the OSD did not come up (see $dir/log)" >&2; return 1; }
  radosgw -n client.rgw.a
  for _ in $(seq 240); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 0.5; done
  radosgw-admin user create --uid=zhifa --display-name=zhifa --access-key=$ACCESS --secret=$SECRET >/dev/null
  local url="s3://$BUCKET?endpoint=http://127.0.0.1:$RGW_PORT"
  ZHIFA_S3_URL="$url" AK=$ACCESS SK=$SECRET "${PYTHON:-python3}" - <<'PY'
import os, boto3
from urllib.parse import urlsplit, parse_qs
u = urlsplit(os.environ["ZHIFA_S3_URL"])
c = boto3.client("s3", endpoint_url=parse_qs(u.query)["endpoint"][0], region_name="us-east-1",
                 aws_access_key_id=os.environ["AK"], aws_secret_access_key=os.environ["SK"])
c.create_bucket(Bucket=u.netloc, ObjectLockEnabledForBucket=True)
PY
  cat > "$dir/env" <<ENV
export ZHIFA_CEPH_DIR=$dir
export ZHIFA_TEST_S3_URL='$url&lock_days=1'
export ZHIFA_S3_ACCESS_KEY_ID=$ACCESS
export ZHIFA_S3_SECRET_ACCESS_KEY=$SECRET
ENV
  cat "$dir/env"
}

stop() {
  local dir=${1:?usage: ceph-s3.sh stop DIR}
  for name in client.rgw.a osd.0 mon.a; do
    if [ -f "$dir/run/$name.pid" ]; then kill "$(cat "$dir/run/$name.pid")" 2>/dev/null || true; fi
  done
  sleep 1
  for name in client.rgw.a osd.0 mon.a; do
    if [ -f "$dir/run/$name.pid" ]; then kill -9 "$(cat "$dir/run/$name.pid")" 2>/dev/null || true; fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
