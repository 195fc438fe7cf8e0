#!/usr/bin/env bash
# What lade puts on the wire, asserted from the requests the scriptable
# server recorded: the upload flow, Location handling, tag pagination, and
# credentials that never follow a redirect to another host.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
printf 'payload bytes\n' > payload.txt

# A storage host for redirects; it records what it gets and asks for nothing.
python3 - "$WORK" <<'PY'
import hashlib, json, sys
work = sys.argv[1]
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
payload = open(f"{work}/payload.txt", "rb").read()
json.dump({"rules": [{"method": "GET", "path": "^/storage/blob$", "status": 200, "body": payload.decode()}]},
          open(f"{work}/storage.json", "w"))
PY
start_fault_server "$WORK/storage.json"
STORAGE=$FAULT
STORAGE_LOG=$FAULT_LOG

python3 - "$WORK" "$STORAGE" <<'PY'
import hashlib, json, sys
work, storage = sys.argv[1], sys.argv[2]
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
payload = open(f"{work}/payload.txt", "rb").read()
empty = b"{}"
rules = [
    # push: blobs unknown, upload sessions with relative and foreign Locations
    {"method": "HEAD", "path": "^/v2/p/(ok|foreign)/blobs/", "status": 404},
    {"method": "POST", "path": "^/v2/p/ok/blobs/uploads/$", "status": 202,
     "headers": {"Location": "/v2/p/ok/blobs/uploads/u1?_state=abc"}},
    {"method": "PUT", "path": "^/v2/p/ok/blobs/uploads/u1\\?_state=abc&digest=sha256%3A[0-9a-f]{64}$", "status": 201},
    {"method": "PUT", "path": "^/v2/p/ok/manifests/v1$", "status": 201},
    {"method": "POST", "path": "^/v2/p/foreign/blobs/uploads/$", "status": 202,
     "headers": {"Location": f"http://{storage}/steal?_state=x"}},
    # tags: two pages joined by a relative Link
    {"method": "GET", "path": "^/v2/t/tags/list$", "status": 200,
     "headers": {"Link": '</v2/t/tags/list?last=b&n=2>; rel="next"', "Content-Type": "application/json"},
     "body": json.dumps({"name": "t", "tags": ["a", "b"]})},
    {"method": "GET", "path": "^/v2/t/tags/list\\?last=b&n=2$", "status": 200,
     "body": json.dumps({"name": "t", "tags": ["c"]})},
    # pull: a blob GET redirected to the storage host
    {"method": "GET", "path": f"^/v2/r/blobs/{d(payload)}$", "status": 307,
     "headers": {"Location": f"http://{storage}/storage/blob"}},
]
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.test",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": d(empty), "size": 2},
                "layers": [{"mediaType": "text/plain", "digest": d(payload), "size": len(payload),
                            "annotations": {"org.opencontainers.image.title": "payload.txt"}}]},
               separators=(",", ":")).encode()
for method in ("HEAD", "GET"):
    rules.append({"method": method, "path": f"^/v2/r/manifests/(v1|{d(m)})$", "status": 200,
                  "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                              "Docker-Content-Digest": d(m)}, "body": m.decode()})
# an image index of two platforms, each manifest with one titled layer
def manifest_of(name, body):
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "artifactType": "application/vnd.test",
                       "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": d(empty), "size": 2},
                       "layers": [{"mediaType": "text/plain", "digest": d(body), "size": len(body),
                                   "annotations": {"org.opencontainers.image.title": name}}]},
                      separators=(",", ":")).encode()
children = []
for arch in ("amd64", "arm64"):
    body = f"built for {arch}\n".encode()
    cm = manifest_of(f"{arch}.txt", body)
    children.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(cm), "size": len(cm),
                     "platform": {"os": "linux", "architecture": arch}})
    rules.append({"method": "GET", "path": f"^/v2/x/manifests/{d(cm)}$", "status": 200,
                  "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, "body": cm.decode()})
    rules.append({"method": "GET", "path": f"^/v2/x/blobs/{d(body)}$", "status": 200, "body": body.decode()})
    open(f"{work}/{arch}.digest", "w").write(d(cm))
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": children}, separators=(",", ":")).encode()
rules.append({"method": "GET", "path": "^/v2/x/manifests/multi$", "status": 200,
              "headers": {"Content-Type": "application/vnd.oci.image.index.v1+json"}, "body": idx.decode()})
json.dump({"basic_auth": "alice:pw", "rules": rules}, open(f"{work}/registry.json", "w"))
PY
start_fault_server "$WORK/registry.json"
REG=$FAULT
LOG=$FAULT_LOG
lade() { local cmd=$1; shift; "$LADE" "$cmd" --plain-http -u alice -p pw "$@"; }

lade push "$REG/p/ok:v1" payload.txt > push.out || fail "push through the scripted registry: $(cat "$WORK/.err" 2>/dev/null)"
python3 - "$LOG" <<'PY' || fail "push requests were not as expected"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
puts = [r for r in reqs if r["method"] == "PUT" and "/blobs/uploads/u1" in r["path"] and "Authorization" in r["headers"]]
assert len(puts) == 2, puts                       # the empty config and the payload
for r in puts:
    assert r["path"].startswith("/v2/p/ok/blobs/uploads/u1?_state=abc&digest=sha256%3A"), r["path"]
    assert r["headers"].get("Content-Type") == "application/octet-stream", r["headers"]
    assert "Expect" not in r["headers"], r["headers"]
posts = [r for r in reqs if r["method"] == "POST" and "Authorization" in r["headers"]]
assert all(r["headers"].get("Content-Type") == "application/octet-stream" for r in posts), posts
man = [r for r in reqs if r["method"] == "PUT" and r["path"] == "/v2/p/ok/manifests/v1" and "Authorization" in r["headers"]]
assert len(man) == 1 and man[0]["headers"]["Content-Type"] == "application/vnd.oci.image.manifest.v1+json", man
PY
pass "upload: HEAD, POST, PUT to the Location verbatim + &digest=, octet-stream, manifest Content-Type"

expect_fail 1 "not on http://$REG; refusing" -- "$LADE" push --plain-http -u alice -p pw "$REG/p/foreign:v1" payload.txt
grep -q steal "$STORAGE_LOG" && fail "content was sent to a foreign upload Location"
pass "an upload Location on another host is refused; nothing is sent there"

[ "$(lade repo tags "$REG/t" | tr '\n' ' ')" = "a b c " ] || fail "tag pagination: $(lade repo tags "$REG/t")"
pass "tag listing follows a relative Link to the next page"

lade pull -H "X-Lade-Test: only-for-the-registry" "$REG/r:v1" -o out > /dev/null || fail "pull with a redirected blob"
cmp payload.txt out/payload.txt || fail "redirected blob differs"
grep -q '"/storage/blob"' "$STORAGE_LOG" || fail "the redirect was not followed"
grep -i '"authorization"' "$STORAGE_LOG" && fail "credentials were sent to the storage host"
grep -q '"Authorization": "Basic' "$LOG" || fail "the registry never got credentials"
grep -q '"X-Lade-Test": "only-for-the-registry"' "$LOG" || fail "the registry did not get the -H header"
grep -qi 'x-lade-test' "$STORAGE_LOG" && fail "the -H header went to the storage host"
pass "a blob redirect to another host is followed without credentials or custom headers"

# A pull asks for its manifest once: one GET, no HEAD before it (the bytes are hashed and checked here).
python3 - "$LOG" <<'PY' || fail "pull made more than one manifest request"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
man = [r for r in reqs if "/v2/r/manifests/" in r["path"] and "Authorization" in r["headers"]]
assert [r["method"] for r in man] == ["GET"], [(r["method"], r["path"]) for r in man]
PY
pass "pull makes exactly one manifest request (GET, verified locally)"

# An index: the platform's manifest is pulled, the other platform's is never asked for.
lade pull "$REG/x:multi" --platform linux/arm64 -o multi > /dev/null || fail "pull of an index for linux/arm64"
[ "$(cat multi/arm64.txt)" = "built for arm64" ] && [ ! -e multi/amd64.txt ] || fail "the index gave the wrong platform"
python3 - "$LOG" "$(cat arm64.digest)" <<'PY' || fail "pull of an index asked for more than the index and one manifest"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
man = [(r["method"], r["path"]) for r in reqs if "/v2/x/manifests/" in r["path"] and "Authorization" in r["headers"]]
assert man == [("GET", "/v2/x/manifests/multi"), ("GET", "/v2/x/manifests/" + sys.argv[2])], man
PY
expect_fail 1 "is an image index with no manifest for windows/amd64" -- \
	"$LADE" pull --plain-http -u alice -p pw "$REG/x:multi" --platform windows/amd64 -o none
[ -e none/amd64.txt ] || [ -e none/arm64.txt ] && fail "a refused platform wrote files"
pass "pull of an index takes the --platform manifest alone (one request each); a missing platform is named"

grep -q 'pw' push.out && fail "the password was printed"
echo "registry_protocol: all passed"
