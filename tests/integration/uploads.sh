#!/usr/bin/env bash
# Uploads beyond one PUT: chunked PATCHes (asked for or demanded by the
# registry), standard input of unknown size, and a cross-repository mount
# through the library that sends no blob bytes.
source "$(dirname "$0")/../harness/lib.sh"
: "${LADE_BUILD_DIR:?}"
start_registry plain
cd "$WORK"
head -c 5000000 /dev/urandom > five.bin

"$LADE" push --plain-http --chunk-size 1M "$REGISTRY/up/chunked:v1" five.bin > /dev/null || fail "chunked push"
rm -rf o1 && "$LADE" pull --plain-http "$REGISTRY/up/chunked:v1" -o o1 > /dev/null && cmp five.bin o1/five.bin ||
  fail "chunked push came back different"
pass "--chunk-size 1M: a 5 MB file in PATCH chunks against the real registry"

"$LADE" push --plain-http "$REGISTRY/up/stdin:v1" -- -:application/x-test < five.bin > push.out || fail "stdin push"
# "-:TYPE" is an operand with or without "--" before it, wherever it stands.
"$LADE" push "$REGISTRY/up/stdin:v2" -:application/x-test --plain-http < five.bin > push.out || fail "stdin push without --"
for tag in v1 v2; do
  "$LADE" manifest fetch --plain-http "$REGISTRY/up/stdin:$tag" > stdin-manifest.json
  python3 - stdin-manifest.json "sha256:$(sha256sum five.bin | cut -d' ' -f1)" <<'PY' || fail "stdin manifest ($tag)"
import json, sys
l = json.load(open(sys.argv[1]))["layers"][0]
assert l["digest"] == sys.argv[2] and l["size"] == 5000000 and l["mediaType"] == "application/x-test", l
assert l["annotations"]["org.opencontainers.image.title"] == "stdin", l
PY
done
rm -rf o2 && "$LADE" pull --plain-http "$REGISTRY/up/stdin:v1" -o o2 > /dev/null && cmp five.bin o2/stdin || fail "stdin round trip"
out=$("$LADE" blob push --plain-http "$REGISTRY/up/blob" - < five.bin) || fail "blob push -"
echo "$out" | grep -q "\"digest\":\"sha256:$(sha256sum five.bin | cut -d' ' -f1)\",\"size\":5000000" || fail "blob push printed $out"
pass "standard input of unknown size: lade push -, lade blob push -"

# Standard input is sent last: a bad argument after it fails the push before any byte of it goes out.
head -c 300000 /dev/urandom > fresh.bin
printf 'ok\n' > ok.txt
expect_fail 1 "cannot read 'missing.txt'" -- "$LADE" push --plain-http "$REGISTRY/up/early:v1" - ok.txt missing.txt < fresh.bin
code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REGISTRY/v2/up/early/blobs/sha256:$(sha256sum fresh.bin | cut -d' ' -f1)")
[ "$code" = 404 ] || fail "standard input was uploaded before a later argument was checked (HEAD: $code)"
printf 'same' > stdin
expect_fail 1 "two inputs would be titled 'stdin'" -- "$LADE" push --plain-http "$REGISTRY/up/early:v2" - stdin < fresh.bin
code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REGISTRY/v2/up/early/blobs/sha256:$(sha256sum fresh.bin | cut -d' ' -f1)")
[ "$code" = 404 ] || fail "standard input was uploaded before the titles were checked (HEAD: $code)"
pass "standard input goes last: a missing file or a clashing title after it fails with nothing of it sent"

# Cross-repository mount through the library: the blob is linked, no byte sent.
digest="sha256:$(sha256sum five.bin | cut -d' ' -f1)"
out=$("$LADE_BUILD_DIR/tests/mount_check" "$REGISTRY" up/chunked up/mounted "$digest" 5000000) || fail "mount_check"
[ "${out}" != "${out#mounted=1 }" ] && echo "$out" | grep -q ' uploaded=0$' || fail "mount sent bytes or failed: $out"
"$LADE" blob fetch --plain-http "$REGISTRY/up/mounted@$digest" -o mounted.bin && cmp five.bin mounted.bin ||
  fail "the mounted blob is not there"
out=$("$LADE_BUILD_DIR/tests/mount_check" "$REGISTRY" up/nowhere up/mounted2 "sha256:$(printf x | sha256sum | cut -d' ' -f1)" 1) ||
  fail "mount_check of an unknown blob"
echo "$out" | grep -q '^mounted=0 ' || fail "an unknown blob was reported mounted: $out"
pass "cross-repository mount through the library: 201, no blob bytes; an unknown blob gives 202 and no mount"

# A registry that demands chunks: OCI-Chunk-Min-Length on POST, a PUT with a body refused.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
rules = [
    {"method": "HEAD", "path": "^/v2/strict/blobs/", "status": 404},
    {"method": "POST", "path": "^/v2/strict/blobs/uploads/$", "status": 202,
     "headers": {"Location": "/v2/strict/blobs/uploads/s1?_state=x", "OCI-Chunk-Min-Length": "2097152"}},
    {"method": "PATCH", "path": "^/v2/strict/blobs/uploads/s1", "status": 202,
     "headers": {"Location": "/v2/strict/blobs/uploads/s1?_state=y"}},
    {"method": "PUT", "path": "^/v2/strict/blobs/uploads/s1\\?_state=y&digest=sha256%3A", "status": 201, "max_body": 0},
    {"method": "PUT", "path": "^/v2/strict/blobs/uploads/", "status": 400,
     "body": "{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\",\"message\":\"chunked upload required\"}]}"},
    {"method": "PUT", "path": "^/v2/strict/manifests/v1$", "status": 201},
    # a chunk that fails once: lade must ask where the upload stands and go on from there
    {"method": "HEAD", "path": "^/v2/flaky/blobs/", "status": 404},
    {"method": "POST", "path": "^/v2/flaky/blobs/uploads/$", "status": 202,
     "headers": {"Location": "/v2/flaky/blobs/uploads/f1", "OCI-Chunk-Min-Length": "2097152"}},
    {"method": "PATCH", "path": "^/v2/flaky/blobs/uploads/f1", "status": 202, "max_body": 2,
     "headers": {"Location": "/v2/flaky/blobs/uploads/f1"}},
    {"method": "PATCH", "path": "^/v2/flaky/blobs/uploads/f1", "status": 202, "times": 1,
     "headers": {"Location": "/v2/flaky/blobs/uploads/f1"}},
    {"method": "PATCH", "path": "^/v2/flaky/blobs/uploads/f1", "status": 500, "times": 1},
    {"method": "GET", "path": "^/v2/flaky/blobs/uploads/f1", "status": 204,
     "headers": {"Location": "/v2/flaky/blobs/uploads/f1", "Range": "0-2097151"}},
    {"method": "PATCH", "path": "^/v2/flaky/blobs/uploads/f1", "status": 202,
     "headers": {"Location": "/v2/flaky/blobs/uploads/f1"}},
    {"method": "PUT", "path": "^/v2/flaky/blobs/uploads/f1\\?digest=sha256%3A", "status": 201, "max_body": 0},
    {"method": "PUT", "path": "^/v2/flaky/manifests/v1$", "status": 201},
]
json.dump({"rules": rules}, open(f"{work}/strict.json", "w"))
PY
start_fault_server "$WORK/strict.json"
# --chunk-size 1M is below the registry's minimum: its 2 MiB wins.
"$LADE" push --plain-http --chunk-size 1M "$FAULT/strict:v1" five.bin > /dev/null || fail "push to a registry that demands chunks"
python3 - "$FAULT_LOG" <<'PY' || fail "the chunked upload was not as the registry asked"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
patches = [r for r in reqs if r["method"] == "PATCH" and r["body_length"] > 2]  # the 2-byte "{}" config aside
ranges = [r["headers"]["Content-Range"] for r in patches]
# the 5 MB file in chunks of at least 2 MiB, in order, each Content-Range matching its length
assert ranges == ["0-2097151", "2097152-4194303", "4194304-4999999"], ranges
assert [r["body_length"] for r in patches] == [2097152, 2097152, 805696], patches
assert patches[1]["path"].endswith("_state=y"), "the next chunk did not go to the new Location"
puts = [r for r in reqs if r["method"] == "PUT" and "/blobs/uploads/" in r["path"]]
assert len(puts) == 2 and all(p["body_length"] == 0 and "digest=sha256%3A" in p["path"] for p in puts), puts
print("chunks:", ranges)
PY
pass "a registry that demands chunks (OCI-Chunk-Min-Length) gets PATCHes of that size and a closing PUT"

: > "$FAULT_LOG"
"$LADE" push --plain-http --chunk-size 2M "$FAULT/flaky:v1" five.bin > /dev/null || fail "push through a failing chunk"
python3 - "$FAULT_LOG" <<'PY' || fail "a failed chunk was not continued from the offset the registry reported"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if "/blobs/uploads/f1" in l]
first_put = next(i for i, r in enumerate(reqs) if r["method"] == "PUT")  # the 2-byte config's upload ends here
seq = [(r["method"], r["headers"].get("Content-Range", "")) for r in reqs[first_put + 1:]]
want = [("PATCH", "0-2097151"), ("PATCH", "2097152-4194303"), ("GET", ""), ("PATCH", "2097152-4194303"),
        ("PATCH", "4194304-4999999"), ("PUT", "")]
assert seq == want, seq
print("sequence:", seq)
PY
pass "after a failed chunk lade asks the upload's status and continues from the registry's offset"
echo "uploads: all passed"
