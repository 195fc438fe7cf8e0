#!/usr/bin/env bash
# Read what others publish: artifacts written the way real tools write them,
# pushed to a real registry by a minimal client (no lade involved), some
# bending a MUST of image-spec 1.1, come back with `lade pull`:
#  - oras-go v1: an empty config and no artifactType;
#  - a layer media type nobody registered;
#  - extra, unknown fields in the manifest and its descriptors;
#  - a descriptor with a digest algorithm lade cannot compute, on a layer
#    that need not be fetched;
#  - wkg/oci-wasm: no title, author and target in the config; several layers;
#  - wasm-to-oci: `{}` config of its own type, its own layer type;
#  - ORAS 1.0: the withdrawn OCI artifact manifest ("blobs", no config).
source "$(dirname "$0")/../harness/lib.sh"
start_registry plain
cd "$WORK"
cat > peer.py <<'PY'
"""A minimal OCI client: monolithic blob uploads and a manifest PUT, as a peer tool would do them."""
import hashlib, json, sys, urllib.request

REG = sys.argv[1]

def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

def put_blob(repo, data):
    req = urllib.request.Request(f"http://{REG}/v2/{repo}/blobs/uploads/", method="POST")
    loc = urllib.request.urlopen(req).headers["Location"]
    loc = loc if loc.startswith("http") else f"http://{REG}{loc}"
    sep = "&" if "?" in loc else "?"
    req = urllib.request.Request(f"{loc}{sep}digest={digest(data)}", data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(req)
    return {"digest": digest(data), "size": len(data)}

def put_manifest(repo, tag, manifest, media_type="application/vnd.oci.image.manifest.v1+json"):
    body = json.dumps(manifest).encode()
    req = urllib.request.Request(f"http://{REG}/v2/{repo}/manifests/{tag}", data=body, method="PUT",
                                 headers={"Content-Type": media_type})
    urllib.request.urlopen(req)

def titled(repo, data, title, media_type):
    d = put_blob(repo, data)
    return {"mediaType": media_type, **d, "annotations": {"org.opencontainers.image.title": title}}

empty = {"mediaType": "application/vnd.oci.empty.v1+json", **put_blob("peers/orasv1", b"{}")}
# oras-go v1: empty config, no artifactType, no manifest mediaType
put_manifest("peers/orasv1", "v1", {"schemaVersion": 2, "config": empty,
             "layers": [titled("peers/orasv1", b"hello from oras v1\n", "hello.txt", "text/plain")]})
# an unknown layer media type
put_blob("peers/unknown", b"{}")
put_manifest("peers/unknown", "v1", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "artifactType": "application/vnd.example.thing", "config": empty,
             "layers": [titled("peers/unknown", b"\x00\x01binary", "thing.bin", "application/vnd.example.never-registered+octets")]})
# extra fields everywhere, and a layer whose digest algorithm lade cannot compute (never fetched: no title)
put_blob("peers/extra", b"{}")
layer = titled("peers/extra", b"extra fields\n", "notes.txt", "text/plain")
layer["x-vendor"] = {"nested": [1, 2, 3]}
put_manifest("peers/extra", "v1", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "artifactType": "application/vnd.example", "config": {**empty, "x-config": True},
             "layers": [layer],
             "x-generator": "some-tool 1.0", "annotations": {"com.example.unknown": "kept"}})
# wkg / oci-wasm: config with author, target, no title on the layer; then two wasm layers
wasm = b"\x00asm\x01\x00\x00\x00"
w = put_blob("peers/wkg/hello", wasm)
cfg = json.dumps({"created": "2025-01-02T03:04:05.123456789Z", "author": "Alyssa P. Hacker", "architecture": "wasm",
                  "os": "wasip1", "layerDigests": [w["digest"]], "component": None}).encode()
c = put_blob("peers/wkg/hello", cfg)
put_manifest("peers/wkg/hello", "0.1.0", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.wasm.config.v0+json", **c},
             "layers": [{"mediaType": "application/wasm", **w}]})
wasm2 = b"\x00asm\x01\x00\x00\x00\x00\x04\x03abc"
w2 = put_blob("peers/wkg/hello", wasm2)
put_manifest("peers/wkg/hello", "two", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.wasm.config.v0+json", **c},
             "layers": [{"mediaType": "application/wasm", **w}, {"mediaType": "application/wasm", **w2}]})
# wasm-to-oci: {} config of its own type, its own layer type, titled with the path as typed
lc = put_blob("peers/w2o", b"{}")
lw = put_blob("peers/w2o", wasm)
put_manifest("peers/w2o", "v1", {"schemaVersion": 2, "config": {"mediaType": "application/vnd.wasm.config.v1+json", **lc},
             "layers": [{"mediaType": "application/vnd.wasm.content.layer.v1+wasm", **lw,
                         "annotations": {"org.opencontainers.image.title": "module.wasm"}}]})
# distribution refuses digests it cannot compute, so that one goes into a layout written by hand
import os
lay = "layout-blake3"
os.makedirs(f"{lay}/blobs/sha256")
def blob(data):
    open(f"{lay}/blobs/sha256/{hashlib.sha256(data).hexdigest()}", "wb").write(data)
    return {"digest": digest(data), "size": len(data)}
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.example", "config": {"mediaType": "application/vnd.oci.empty.v1+json", **blob(b"{}")},
                "layers": [{"mediaType": "text/plain", **blob(b"signed\n"), "annotations": {"org.opencontainers.image.title": "doc.txt"}},
                           {"mediaType": "application/vnd.example.sig", "digest": "blake3:" + "ab" * 32, "size": 64,
                            "annotations": {"org.opencontainers.image.title": "doc.sig"}}]}).encode()
md = blob(m)
open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(f"{lay}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", **md, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
# ORAS 1.0 / oras-go v2.0: the artifact manifest that image-spec 1.1 later withdrew ("blobs", no config);
# distribution 2.8 does not store it, so it goes into a layout too
lay = "layout-artifact"
os.makedirs(f"{lay}/blobs/sha256")
def blob2(data):
    open(f"{lay}/blobs/sha256/{hashlib.sha256(data).hexdigest()}", "wb").write(data)
    return {"digest": digest(data), "size": len(data)}
am = json.dumps({"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "artifactType": "application/vnd.example.sbom",
                 "blobs": [{"mediaType": "application/json", **blob2(b'{"sbom":1}'), "annotations": {"org.opencontainers.image.title": "sbom.json"}}],
                 "annotations": {"org.opencontainers.artifact.created": "2023-01-01T00:00:00Z"}}).encode()
amd = blob2(am)
open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(f"{lay}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.artifact.manifest.v1+json", **amd, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
PY
python3 peer.py "$REGISTRY" || fail "the peer client could not push"
printf '\0asm\1\0\0\0' > hello.wasm
printf '\0asm\1\0\0\0\0\4\3abc' > second.wasm

pull() { # name ref -> out-<name>, log in <name>.log
  rm -rf "out-$1" && "$LADE" pull --plain-http -o "out-$1" "$2" > "$1.log" 2>&1 || fail "pull $2: $(cat "$1.log")"
}
pull orasv1 "$REGISTRY/peers/orasv1:v1"
[ "$(cat out-orasv1/hello.txt)" = "hello from oras v1" ] || fail "oras v1 artifact: file not written"
grep -q "Warning: the manifest has an empty config and no artifactType" orasv1.log || fail "no warning for the missing artifactType"
pull unknown "$REGISTRY/peers/unknown:v1"
printf '\0\1binary' | cmp - out-unknown/thing.bin || fail "unknown media type: file not written"
pull extra "$REGISTRY/peers/extra:v1"
[ "$(cat out-extra/notes.txt)" = "extra fields" ] || fail "extra fields: file not written"
rm -rf out-b3 && "$LADE" pull --oci-layout -o out-b3 --file doc.txt layout-blake3:v1 > b3.log 2>&1 || fail "blake3 layout: $(cat b3.log)"
[ "$(cat out-b3/doc.txt)" = "signed" ] || fail "blake3 layout: doc.txt not written"
grep -q "Skipped blake3:" b3.log || fail "the blake3 layer should be skipped, not fetched: $(cat b3.log)"
pull wkg "$REGISTRY/peers/wkg/hello:0.1.0"
cmp hello.wasm out-wkg/hello.wasm || fail "wkg artifact: hello.wasm not written"
pull wkg2 "$REGISTRY/peers/wkg/hello:two"
cmp hello.wasm out-wkg2/hello.wasm && cmp second.wasm out-wkg2/hello-2.wasm || fail "two wasm layers: $(ls out-wkg2)"
grep -q "Warning: the wasm artifact has 2 wasm layers" wkg2.log || fail "no warning for two wasm layers"
pull w2o "$REGISTRY/peers/w2o:v1"
cmp hello.wasm out-w2o/module.wasm || fail "wasm-to-oci artifact not written"
rm -rf out-am && "$LADE" pull --oci-layout -o out-am layout-artifact:v1 > am.log 2>&1 || fail "artifact manifest: $(cat am.log)"
[ "$(cat out-am/sbom.json)" = '{"sbom":1}' ] || fail "artifact manifest: sbom.json not written"
grep -q "Warning: an OCI artifact manifest" am.log || fail "no warning for the artifact manifest: $(cat am.log)"
# a layer that must be fetched with a digest lade cannot compute is refused clearly
expect_fail 1 "unsupported digest algorithm" -- "$LADE" pull --oci-layout -o out-x --file doc.sig layout-blake3:v1
[ ! -e out-x/doc.sig ] || fail "a blob that cannot be verified took its final name"
pass "artifacts written by peers (no artifactType, unknown types, extra fields, blake3, wkg, several layers, wasm-to-oci, artifact manifests) are read"
