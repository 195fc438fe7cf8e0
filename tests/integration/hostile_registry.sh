#!/usr/bin/env bash
# A hostile registry, from the scriptable fault server: a Link header back
# to the same page, a body dribbled a byte at a time, a 120 KB
# WWW-Authenticate, a 10 MB token reply, a blob redirect whose target
# answers 401. Each ends in bounded time with a message that says what
# happened. And what lade is given: a reference with user:password@ is
# refused without repeating it; --limit-rate holds downloads to the rate.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
port=$(free_port)

python3 - "$WORK" "$port" "$HARNESS_DIR" <<'PY'
import json, sys
work, port = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from fixtures import digest as d, layer as titled, manifest_rules
blob = b"x" * 1000
rules = []
def manifest(repo, layers):
    manifest_rules(rules, repo, layers)
layer = titled(blob, "blob.bin")
# A tag list whose Link points back at itself.
rules.append({"method": "GET", "path": "^/v2/loop/tags/list", "status": 200,
              "headers": {"Content-Type": "application/json", "Link": '</v2/loop/tags/list?n=1&last=a>; rel="next"'},
              "body": '{"name":"loop","tags":["a"]}'})
# A blob dribbled one byte every 1.5 s.
manifest("slow", [layer])
rules.append({"method": "GET", "path": f"^/v2/slow/blobs/{d(blob)}$", "status": 200, "dribble": 1.5, "body": blob.decode()})
# A 120 KB WWW-Authenticate challenge.
rules.append({"method": "HEAD", "path": "^/v2/bigheader/manifests/v1$", "status": 401,
              "headers": {"WWW-Authenticate": 'Bearer realm="http://127.0.0.1/t",service="' + "s" * 120000 + '"'}})
# A token service that answers 10 MB.
rules.append({"method": "HEAD", "path": "^/v2/bigtoken/manifests/v1$", "status": 401,
              "headers": {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{port}/token",service="fault"'}})
rules.append({"method": "GET", "path": "^/token", "status": 200, "headers": {"Content-Type": "application/json"},
              "body_repeat": ["{", 10 * 1024 * 1024]})
# A blob redirected to storage that answers 401 with a 2-byte body.
manifest("redirect", [layer])
rules.append({"method": "GET", "path": f"^/v2/redirect/blobs/{d(blob)}$", "status": 307,
              "headers": {"Location": f"http://localhost:{port}/storage/blob"}})
rules.append({"method": "GET", "path": "^/storage/blob$", "status": 401, "body": "{}"})
# A tag list page of a million short tags (about 10 MB).
open(f"{work}/bigtags.json", "w").write(json.dumps({"name": "bigtags", "tags": [f"t{i}" for i in range(1000000)]}))
rules.append({"method": "GET", "path": "^/v2/bigtags/tags/list", "status": 200,
              "headers": {"Content-Type": "application/json"}, "body_file": f"{work}/bigtags.json"})
json.dump({"rules": rules}, open(f"{work}/script.json", "w"))
PY
start_fault_server script.json "$port"

timed_fail() { # label seconds pattern -- command...
  local label=$1 limit=$2 pattern=$3 start rc=0
  shift 4
  start=$(date +%s)
  timeout 120 "$@" > out.log 2> err.log || rc=$?
  [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$label: exit $rc"
  [ $(($(date +%s) - start)) -le "$limit" ] || fail "$label: took $(($(date +%s) - start)) s, over $limit"
  grep -Eq -- "$pattern" err.log || fail "$label: said '$(cat err.log)', wanted /$pattern/"
}

timed_fail "link loop" 10 "was already read \(a Link loop\)" -- "$LADE" repo tags --plain-http "$FAULT/loop"
[ "$(grep -c '^a$' out.log)" -le 2 ] || fail "the looping tag was printed $(grep -c '^a$' out.log) times"
pass "a Link back to a page already read stops repo tags with an error"

/usr/bin/time -f '%M' -o rss.log "$LADE" repo tags --plain-http "$FAULT/bigtags" > tags.out || fail "a million-tag page"
[ "$(wc -l < tags.out)" = 1000000 ] || fail "a million-tag page gave $(wc -l < tags.out) tags"
if [[ "${LADE_TEST_CFLAGS:-}" != *sanitize* ]]; then
  [ "$(tail -1 rss.log)" -le 49152 ] || fail "a million-tag page took $(tail -1 rss.log) KiB"
fi
pass "a tag list page of a million tags is read one tag at a time ($(($(tail -1 rss.log) / 1024)) MiB)"

timed_fail "dribble, stall" 20 "too slow|Operation too slow|no progress" -- \
  "$LADE" pull --plain-http --stall-timeout 3 "$FAULT/slow:v1" -o out
timed_fail "dribble, deadline" 12 "gave up at the 6 s time limit" -- \
  "$LADE" pull --plain-http --timeout 6 "$FAULT/slow:v1" -o out
pass "a dribbling server is cut after the stall time (retried once), and --timeout bounds the whole command"

timed_fail "big header" 10 "header too large" -- "$LADE" resolve --plain-http "$FAULT/bigheader:v1"
timed_fail "big token" 10 "token service .* over the 65536-byte limit" -- "$LADE" resolve --plain-http "$FAULT/bigtoken:v1"
timed_fail "redirect 401" 10 "answered 401" -- "$LADE" pull --plain-http "$FAULT/redirect:v1" -o out
grep -q "is 2 bytes" err.log && fail "the 401 body was taken for the blob"
pass "an oversized header, an oversized token reply and a redirect to a 401 are each reported as what they are"

rc=0
"$LADE" resolve 'me:s3cret-pw@127.0.0.1:1/repo:v1' > out.log 2> err.log || rc=$?
[ "$rc" = 2 ] || [ "$rc" = 1 ] || fail "a user:password@ reference: exit $rc"
grep -q "credentials do not go in a reference" err.log || fail "no clear message: $(cat err.log)"
grep -q "s3cret" err.log && fail "the password was echoed: $(cat err.log)"
pass "a user:password@ reference is refused without echoing the password"

# --limit-rate holds a download: 1 MiB at 256K takes about 4 s.
start_registry plain
head -c $((1024 * 1024)) /dev/urandom > one.bin
"$LADE" push --plain-http "$REGISTRY/rate:v1" one.bin > /dev/null
start=$(date +%s%N)
"$LADE" pull --plain-http --limit-rate 256K "$REGISTRY/rate:v1" -o rated > /dev/null
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 3000 ] || fail "a 1 MiB pull at 256K took $ms ms"
cmp one.bin rated/one.bin || fail "the rated pull differs"
pass "--limit-rate holds a download to the rate ($ms ms for 1 MiB at 256K)"
# A FIFO planted where a partial download would go: refused at once, never waited on.
d=$(sha256sum one.bin | cut -c1-16)
mkdir -p planted && mkfifo "planted/.one.bin.$d.lade-partial"
timed_fail "planted FIFO" 10 "is in the way and is not a regular file" -- \
  "$LADE" pull --plain-http "$REGISTRY/rate:v1" -o planted
pass "a FIFO planted as a partial download is refused, not waited on"
echo "hostile_registry: all passed"
