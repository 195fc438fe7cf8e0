#!/usr/bin/env bash
# The target operations copy, delete and discover are built on (streaming
# read, delete, untag, referrers; mount where a store lacks it),
# through the public dispatchers: on an OCI layout, on docker-registry, and
# on docker-registry with token auth (deletes need the "delete" action).
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
OPS="$LADE_BUILD_DIR/tests/target_ops"

"$OPS" --layout "$WORK/layout" > layout.out || { cat layout.out; fail "target operations on a layout"; }
pass "layout: stream, blobs through sockets (its own and one at a time), untag, delete, and EUNSUPPORTED naming the target ($(grep -c '^ok' layout.out) checks)"

start_registry plain
"$OPS" "$REGISTRY" ops/plain > plain.out || { cat plain.out; fail "target operations on docker-registry"; }
pass "docker-registry: stream, delete by digest, tag removal refused plainly ($(grep -c '^ok' plain.out) checks)"

start_registry token
LADE_USERNAME=$REG_USER LADE_PASSWORD=$REG_PASS "$OPS" "$REGISTRY" ops/token > token.out ||
	{ cat token.out; fail "target operations with token auth"; }
grep -q 'repository:ops/token:delete' "$TOKEN_LOG" || fail "no token was asked with the delete action"
pass "token auth: the delete asks for repository:<name>:delete and is granted"

# A stream that breaks continues with a Range request where the handed-on bytes end; a server that
# starts over instead (200 with the whole body) is refused, since bytes handed on cannot be taken back.
head -c 400000 /dev/urandom > blob.bin
digest="sha256:$(sha256sum blob.bin | cut -d' ' -f1)"
python3 - "$WORK" "$digest" <<'PY'
import json, sys
work, digest = sys.argv[1], sys.argv[2]
json.dump({"rules": [
    *[{"method": "GET", "path": f"^/v2/s/{repo}/blobs/{digest}$", "status": 200, "body_file": f"{work}/blob.bin",
       "cut_after": 150000, "times": 1} for repo in ("resume", "restart", "piped")],
    *[{"method": "GET", "path": f"^/v2/s/{repo}/blobs/{digest}$", "status": 200, "body_file": f"{work}/blob.bin",
       "range": True} for repo in ("resume", "piped")],
    {"method": "GET", "path": f"^/v2/s/restart/blobs/{digest}$", "status": 200, "body_file": f"{work}/blob.bin"},
]}, open(f"{work}/stream.json", "w"))
PY
start_fault_server "$WORK/stream.json"
out=$("$OPS" "$FAULT" s/resume --stream "$digest" 400000) || fail "a broken stream did not continue"
[ "$out" = "streamed=400000" ] || fail "resumed stream: $out"
grep -q '"Range": "bytes=150000-"' "$FAULT_LOG" || fail "the retry did not ask for the rest (Range: bytes=150000-)"
expect_fail 1 "broke off after 150000 bytes and cannot continue" -- "$OPS" "$FAULT" s/restart --stream "$digest" 400000
out=$("$OPS" "$FAULT" s/piped --pipe "$digest" 400000) || fail "a broken pipe job did not continue"
[ "$out" = "streamed=400000" ] || fail "resumed pipe job: $out"
[ "$(grep -c '"path": "/v2/s/piped/blobs/.*"Range": "bytes=150000-"' "$FAULT_LOG")" = 1 ] ||
  fail "the pipe job's retry did not ask for the rest"
pass "a broken stream continues from its last byte (206), through fetch_stream and through a socket; a server that starts over is refused"
echo "target_ops: all passed"
