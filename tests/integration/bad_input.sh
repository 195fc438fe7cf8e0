#!/usr/bin/env bash
# Bad input gets a clear message, a documented exit status, and writes
# nothing outside the output folder. Lies and hostile manifests come from
# the scriptable fault server, which records what lade sent.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
echo data > file.txt

# --- usage errors: exit 2 ---
expect_fail 2 "invalid reference 'r.io/Upper'.*lowercase" -- "$LADE" push --plain-http r.io/Upper file.txt
expect_fail 2 "invalid tag" -- "$LADE" pull --plain-http 'r.io/x:-bad'
expect_fail 2 "invalid digest|64 hex" -- "$LADE" pull --plain-http 'r.io/x@sha256:abc'
expect_fail 2 "empty path component" -- "$LADE" resolve --plain-http 'r.io/a//b'
expect_fail 2 "unrecognized option" -- "$LADE" push --no-such-flag r.io/x file.txt
expect_fail 2 "unknown command" -- "$LADE" frobnicate
expect_fail 2 "takes exactly one reference" -- "$LADE" pull
expect_fail 2 "concurrency takes a number" -- "$LADE" push --concurrency 0 r.io/x file.txt
pass "malformed references, unknown flags and commands exit 2 with a message"

# --- failures: exit 1 ---
"$LADE" push --oci-layout "$WORK/l:v0" file.txt > /dev/null || fail "push to a layout"
expect_fail 1 "cannot read 'missing.txt': no such file" -- "$LADE" push --oci-layout "$WORK/l:v1" file.txt missing.txt
grep -q '"v1"' "$WORK/l/index.json" && fail "a failed push tagged something"
expect_fail 1 "not an OCI image layout" -- "$LADE" pull --oci-layout "$WORK"
expect_fail 1 "tag 'nope' not found" -- "$LADE" pull --oci-layout "$WORK/l:nope"
pass "missing files and layouts exit 1 with a message"

# --- a scripted registry that lies and attacks ---
python3 - "$WORK" <<'PY'
import hashlib, json, sys
work = sys.argv[1]
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
empty = b"{}"
rules = []
def manifest(name, layers):
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "artifactType": "application/vnd.test",
         "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": d(empty), "size": 2},
         "layers": layers}
    body = json.dumps(m, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": d(body)}
    for method in ("HEAD", "GET"):
        rules.append({"method": method, "path": f"^/v2/{name}/manifests/(v1|{d(body)})$", "status": 200,
                      "headers": headers, "body": body.decode()})
def layer(content, title):
    return {"mediaType": "text/plain", "digest": d(content), "size": len(content),
            "annotations": {"org.opencontainers.image.title": title}}

good = b"the real content\n"
lie = b"the fake content\n"
# 1. the blob served is not the blob named
manifest("lies/blob", [layer(good, "ok.txt")])
rules.append({"method": "GET", "path": f"^/v2/lies/blob/blobs/{d(good)}$", "status": 200, "body": lie.decode()})
# 1b. a large blob (hashed on the worker thread) that is not the blob named
big_good = b"g" * (6 * 1024 * 1024)
manifest("lies/bigblob", [layer(big_good, "big.bin")])
rules.append({"method": "GET", "path": f"^/v2/lies/bigblob/blobs/{d(big_good)}$", "status": 200,
              "body_repeat": ["h", len(big_good)]})
# 2. the manifest served is not the one the tag resolved to
real = b'{"schemaVersion":2}'
rules.append({"method": "HEAD", "path": "^/v2/lies/manifest/manifests/v1$", "status": 200,
              "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                          "Docker-Content-Digest": d(real), "Content-Length": str(len(real))}})
rules.append({"method": "GET", "path": f"^/v2/lies/manifest/manifests/{d(real)}$", "status": 200,
              "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
              "body": '{"schemaVersion":3}'[: len(real)].ljust(len(real))})
# ... and by tag: the bytes are not what its Docker-Content-Digest says
rules.append({"method": "GET", "path": "^/v2/lies/manifest/manifests/v1$", "status": 200,
              "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": d(real)},
              "body": '{"schemaVersion":3}'})
# 3. hostile titles
for name, title in (("evil/dotdot", "../../x"), ("evil/abs", "/etc/x"), ("evil/link", "link/x")):
    manifest(name, [layer(good, title)])
    rules.append({"method": "GET", "path": f"^/v2/{name}/blobs/{d(good)}$", "status": 200, "body": good.decode()})
# 4. a 5 MiB manifest
big = b" " * (5 * 1024 * 1024)
for method in ("HEAD", "GET"):
    rules.append({"method": method, "path": "^/v2/big/manifests/v1$", "status": 200,
                  "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                              "Docker-Content-Digest": d(big)}, "body_repeat": [" ", len(big)]})
rules.append({"method": "GET", "path": f"^/v2/big/manifests/{d(big)}$", "status": 200,
              "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
              "body_repeat": [" ", len(big)]})
# 5. a registry error body
rules.append({"method": "HEAD", "path": "^/v2/denied/manifests/v1$", "status": 403})
json.dump({"rules": rules}, open(f"{work}/script.json", "w"))
PY
start_fault_server "$WORK/script.json"
F="$FAULT"

mkdir -p out
expect_fail 1 "digest mismatch" -- "$LADE" pull --plain-http "$F/lies/blob:v1" -o out
[ -z "$(ls -A out)" ] || fail "a file was left after a digest mismatch: $(ls -A out)"
expect_fail 1 "digest mismatch" -- "$LADE" pull --plain-http "$F/lies/bigblob:v1" -o out
[ -z "$(ls -A out)" ] || fail "a file was left after a large digest mismatch: $(ls -A out)"
expect_fail 1 "the registry says sha256:" -- "$LADE" manifest fetch --plain-http "$F/lies/manifest:v1"
expect_fail 1 "does not match" -- "$LADE" manifest fetch --plain-http "$F/lies/manifest@$(python3 -c 'import hashlib; print("sha256:" + hashlib.sha256(b"{\"schemaVersion\":2}").hexdigest())')"
pass "a server that lies about digests: refused, nothing written"

mkdir -p deep/er/out outside
ln -s "$WORK/outside" deep/er/out/link
expect_fail 1 "leaves the output folder" -- "$LADE" pull --plain-http "$F/evil/dotdot:v1" -o deep/er/out
expect_fail 1 "absolute path" -- "$LADE" pull --plain-http "$F/evil/abs:v1" -o deep/er/out
expect_fail 1 "symlink leads outside" -- "$LADE" pull --plain-http "$F/evil/link:v1" -o deep/er/out
[ ! -e deep/x ] && [ ! -e /etc/x ] && [ -z "$(ls -A outside)" ] || fail "a hostile title wrote outside"
# Refused before any blob was asked for.
grep -q '"/v2/evil/[a-z]*/blobs/' "$FAULT_LOG" && fail "lade fetched a blob for a hostile title"
pass "titles ../../x, /etc/x and a symlink out are refused; no blob fetched"

"$LADE" pull --plain-http -T "$F/evil/dotdot:v1" -o deep/er/out > /dev/null || fail "-T did not allow ../../x"
cmp deep/x <(printf 'the real content\n') || fail "-T wrote the wrong content"
pass "--allow-path-traversal writes where the title says"

expect_fail 1 "limit" -- "$LADE" manifest fetch --plain-http "$F/big:v1"
pass "a 5 MiB manifest is refused"

expect_fail 1 "403" -- "$LADE" resolve --plain-http "$F/denied:v1"
pass "registry errors are reported with their status"

# No request carried credentials lade was not given.
grep -qi '"authorization"' "$FAULT_LOG" && fail "lade sent an Authorization header unasked"
pass "the fault server saw no Authorization header"
echo "bad_input: all passed"
