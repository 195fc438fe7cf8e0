#!/usr/bin/env bash
# Faults a real registry will not make on demand, from the scriptable
# server, each checked against the requests lade actually sent: 429 with
# Retry-After, 503 twice, a connection cut halfway through a 100 MiB blob,
# and a pull killed halfway that a new pull continues with Range.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
head -c $((100 * 1024 * 1024)) /dev/urandom > big.bin
echo "small payload" > small.txt

python3 - "$WORK" "$HARNESS_DIR" <<'PY'
import json, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from fixtures import digest as d, layer, manifest_rules
big = open(f"{work}/big.bin", "rb").read()
small = open(f"{work}/small.txt", "rb").read()
rules = []
def manifest(repo, layers):
    manifest_rules(rules, repo, layers)
# 429 with Retry-After: 1, then the manifest
rules.append({"method": "GET", "path": "^/v2/busy/manifests/v1$", "status": 429, "headers": {"Retry-After": "1"},
              "times": 1})
manifest("busy", [layer(small, "small.txt")])
rules.append({"method": "GET", "path": f"^/v2/busy/blobs/{d(small)}$", "status": 200, "body": small.decode()})
# 503 twice on the blob, then the blob
manifest("flaky", [layer(small, "small.txt")])
rules.append({"method": "GET", "path": f"^/v2/flaky/blobs/{d(small)}$", "status": 503, "times": 2})
rules.append({"method": "GET", "path": f"^/v2/flaky/blobs/{d(small)}$", "status": 200, "body": small.decode()})
# the connection drops at 50 % of 100 MiB once; the server honours Range after that
manifest("cut", [layer(big, "big.bin")])
rules.append({"method": "GET", "path": f"^/v2/cut/blobs/{d(big)}$", "status": 200, "body_file": f"{work}/big.bin",
              "cut_after": len(big) // 2, "times": 1})
rules.append({"method": "GET", "path": f"^/v2/cut/blobs/{d(big)}$", "status": 200, "body_file": f"{work}/big.bin",
              "range": True})
# a plain blob for the pull that gets killed
manifest("slow", [layer(big, "big.bin")])
rules.append({"method": "GET", "path": f"^/v2/slow/blobs/{d(big)}$", "status": 200, "body_file": f"{work}/big.bin",
              "range": True})
json.dump({"rules": rules}, open(f"{work}/script.json", "w"))
PY
start_fault_server "$WORK/script.json"
F=$FAULT

start=$(date +%s.%N)
"$LADE" pull --plain-http "$F/busy:v1" -o busy > /dev/null || fail "pull after a 429"
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
cmp small.txt busy/small.txt || fail "429 pull differs"
[ "$(grep -c '"GET", "path": "/v2/busy/manifests/v1"' "$FAULT_LOG")" = 2 ] || fail "the 429 was not retried exactly once"
[ "$(echo "$elapsed >= 1" | bc)" = 1 ] || fail "Retry-After: 1 was not honoured ($elapsed s)"
pass "429 with Retry-After: 1 is retried after a second ($elapsed s)"

"$LADE" pull --plain-http "$F/flaky:v1" -o flaky > /dev/null || fail "pull after two 503s"
cmp small.txt flaky/small.txt || fail "503 pull differs"
[ "$(grep -c '"GET", "path": "/v2/flaky/blobs/' "$FAULT_LOG")" = 3 ] || fail "503 twice then success: not three GETs"
pass "503 twice, then success"

"$LADE" pull --plain-http "$F/cut:v1" -o cut > /dev/null || fail "pull through a dropped connection"
cmp big.bin cut/big.bin || fail "the resumed blob differs"
python3 - "$FAULT_LOG" <<'PY' || fail "no Range request after the cut"
import json, sys
gets = [json.loads(l) for l in open(sys.argv[1]) if '"/v2/cut/blobs/' in l]
assert len(gets) == 2, gets
assert "Range" not in gets[0]["headers"], gets[0]
start = int(gets[1]["headers"]["Range"][len("bytes="):-1])
assert 0 < start <= 50 * 1024 * 1024, start
print(f"resumed at byte {start}")
PY
[ -z "$(ls -A cut | grep -v '^big.bin$')" ] || fail "a partial file was left: $(ls -A cut)"
pass "a connection cut at 50 % of 100 MiB resumes with Range; digest verified"

# kill -9 halfway; a new lade pull continues from what the first one left.
"$LADE" pull --plain-http --limit-rate 20M "$F/slow:v1" -o slow > /dev/null 2>&1 &
pid=$!
for i in $(seq 1 200); do
  partial=$(ls slow/.big.bin.*.lade-partial 2> /dev/null | head -1 || true)
  if [ -n "$partial" ] && [ "$(stat -c %s "$partial")" -ge $((50 * 1024 * 1024)) ]; then break; fi
  sleep 0.05
done
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
[ -n "$partial" ] && [ -f "$partial" ] || fail "no partial file to resume from"
[ ! -e slow/big.bin ] || fail "a partial blob took its final name"
left=$(stat -c %s "$partial")
"$LADE" pull --plain-http "$F/slow:v1" -o slow > /dev/null || fail "the second pull"
cmp big.bin slow/big.bin || fail "the pull resumed across runs differs"
[ ! -e "$partial" ] || fail "the partial file was left behind"
python3 - "$FAULT_LOG" "$left" <<'PY' || fail "the second pull did not ask for the rest with Range"
import json, sys
gets = [json.loads(l) for l in open(sys.argv[1]) if '"/v2/slow/blobs/' in l]
last = gets[-1]["headers"].get("Range", "")
assert last.startswith("bytes=") and int(last[6:-1]) >= int(sys.argv[2]) - (1 << 20) and int(last[6:-1]) > 0, (last, sys.argv[2])
print(f"second run asked for {last}")
PY
pass "kill -9 at ~50 %: the next pull sends Range for the rest ($left bytes kept)"
echo "faults: all passed"
