#!/usr/bin/env bash
# lade copy: a multi-arch image index built here from generated layers goes
# layout -> registry -> layout -> second registry and back, every manifest
# digest equal at each hop (skopeo and oci-image-tool read the layouts);
# --platform copies one image; within one registry blobs are mounted, not
# sent; a large layer streams; an artifact with a two-level referrer tree
# copies with -r and lade discover shows the same tree at the destination.
# Bad input: a missing tag, a platform the index lacks, a source that lies
# about a blob: exit 1, the destination's tag untouched.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"

# An OCI layout holding an index of three platforms, each an image of two gzip layers (one of 6 MiB, to stream).
python3 - "$WORK/src" "$HARNESS_DIR" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[2])
from fixtures import Layout, gzip_tar
out = Layout(sys.argv[1])
gz = "application/vnd.oci.image.layer.v1.tar+gzip"
manifests = [out.image({"architecture": arch, "os": "linux"},
                       [out.put(gzip_tar(f"etc/{arch}", f"built for {arch}\n".encode()), gz),
                        out.put(gzip_tar(f"big-{arch}.bin", os.urandom(6 << 20 if arch == "arm64" else 1000)), gz)])
             for arch in ("amd64", "arm64", "s390x")]
top = out.index(manifests, "multi")
open(f"{out.root}/../index.digest", "w").write(top["digest"])
open(f"{out.root}/../arm64.digest", "w").write(manifests[1]["digest"])
PY
INDEX=$(cat index.digest)
start_registry plain
R1=$REGISTRY
start_registry plain
R2=$REGISTRY

digests() { # target-args... ref: the index digest and its manifests' digests, one line
  "$LADE" manifest fetch "$@" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(m["digest"] for m in d["manifests"]))'
}
want=$(digests --oci-layout "$WORK/src:multi")

"$LADE" copy --from-oci-layout "$WORK/src:multi" --to-plain-http "$R1/team/multi" > c1.out || fail "layout -> registry: $(cat c1.out)"
[ "$("$LADE" resolve --plain-http "$R1/team/multi:multi")" = "$INDEX" ] || fail "the index digest changed (layout -> registry)"
[ "$(digests --plain-http "$R1/team/multi:multi")" = "$want" ] || fail "the manifests changed (layout -> registry)"
"$LADE" copy --from-plain-http "$R1/team/multi:multi" --to-oci-layout "$WORK/back:multi" > c2.out || fail "registry -> layout"
[ "$("$LADE" resolve --oci-layout "$WORK/back:multi")" = "$INDEX" ] || fail "the index digest changed (registry -> layout)"
skopeo inspect --raw "oci:$WORK/back:multi" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)["manifests"]) == 3' ||
  fail "skopeo does not read the copied layout"
oci-image-tool validate --type imageIndex "$WORK/back/index.json" > /dev/null || fail "oci-image-tool rejects the layout"
skopeo copy --quiet "oci:$WORK/back:multi" "dir:$WORK/skopeo-dir" > /dev/null 2>&1 ||
  skopeo copy --quiet --override-arch amd64 "oci:$WORK/back:multi" "dir:$WORK/skopeo-dir" > /dev/null ||
  fail "skopeo cannot copy an image out of the layout"
"$LADE" copy --from-oci-layout "$WORK/back:multi" --to-plain-http "$R2/mirror/multi:v1,latest" > c3.out || fail "layout -> second registry"
[ "$("$LADE" resolve --plain-http "$R2/mirror/multi:latest")" = "$INDEX" ] || fail "the index digest changed at the second registry"
"$LADE" copy --plain-http "$R2/mirror/multi:v1" "$R1/team/again:v1" > c4.out || fail "registry -> registry"
grep -q 'Blobs: [1-9][0-9]* copied' c4.out || fail "between registries nothing was copied: $(cat c4.out)"
pass "an index of 3 platforms: layout -> registry -> layout -> second registry -> first: same digests at each hop"

# Within one registry: every blob mounted, none sent.
"$LADE" copy --plain-http "$R1/team/multi:multi" "$R1/other/multi:multi" > c5.out || fail "copy within one registry"
grep -q 'Blobs: 0 copied (0 B), [1-9][0-9]* mounted' c5.out || fail "a copy within one registry sent blobs: $(cat c5.out)"
pass "within one registry: blobs mounted, zero bytes sent"

# A rerun sends nothing that arrived.
"$LADE" copy --from-oci-layout "$WORK/src:multi" --to-plain-http "$R1/team/multi" > c6.out || fail "rerun"
grep -q 'Manifests: 0 written' c6.out && grep -q 'Blobs: 0 copied' c6.out || fail "a rerun sent again: $(cat c6.out)"
pass "a rerun sends nothing the destination has"

# --platform: that image alone, tagged.
"$LADE" copy --plain-http --platform linux/arm64 "$R1/team/multi:multi" "$R2/arm/only:v1" > c7.out || fail "copy --platform"
[ "$("$LADE" resolve --plain-http "$R2/arm/only:v1")" = "$(cat arm64.digest)" ] || fail "--platform copied something else"
expect_fail 1 "is a container image .*copy it into an OCI image layout" -- "$LADE" pull --plain-http "$R2/arm/only:v1" -o arm
grep -q 'lade copy <ref> --to-oci-layout' "$WORK/.err" || fail "pull of an image does not point to lade copy"
[ "$("$LADE" resolve --plain-http --platform linux/arm64 "$R1/team/multi:multi")" = "$(cat arm64.digest)" ] ||
  fail "resolve --platform"
"$LADE" manifest fetch --plain-http --platform linux/arm64 "$R1/team/multi:multi" > arm.json
[ "sha256:$(sha256sum arm.json | cut -d' ' -f1)" = "$(cat arm64.digest)" ] || fail "manifest fetch --platform"
"$LADE" manifest fetch --plain-http --pretty "$R1/team/multi:multi" | python3 -c 'import json,sys; t=sys.stdin.read(); assert t.count("\n") > 5; json.loads(t)' ||
  fail "manifest fetch --pretty"
expect_fail 1 "no manifest for linux/ppc64le" -- "$LADE" copy --plain-http --platform linux/ppc64le "$R1/team/multi:multi" "$R2/arm/none:v1"
pass "--platform linux/arm64 copies that image (6 MiB layer streamed) and tags it; resolve/manifest fetch --platform; pull of an image points to copy"

# Docker schema 2: a manifest list and its manifest, indented as some tools write them, copied as they are.
mkdir -p dk && printf 'layer-bytes' > dk/l.bin
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > dk/c.json
"$LADE" blob push --oci-layout "$WORK/dk/store" dk/c.json > /dev/null
"$LADE" blob push --oci-layout "$WORK/dk/store" dk/l.bin > /dev/null
python3 - "$WORK/dk" <<'PY'
import hashlib, json, sys
w = sys.argv[1]
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
c, l = open(f"{w}/c.json", "rb").read(), open(f"{w}/l.bin", "rb").read()
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(c), "digest": d(c)},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(l),
                            "digest": d(l)}]}, indent=3).encode()
open(f"{w}/m.json", "wb").write(m)
open(f"{w}/list.json", "wb").write(json.dumps(
    {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
     "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": len(m), "digest": d(m),
                    "platform": {"architecture": "amd64", "os": "linux"}}]}, indent=3).encode())
PY
"$LADE" manifest push --oci-layout "$WORK/dk/store" dk/m.json > /dev/null || fail "manifest push of a Docker manifest"
"$LADE" manifest push --oci-layout "$WORK/dk/store:v1" dk/list.json > /dev/null || fail "manifest push of a manifest list"
"$LADE" copy --from-oci-layout "$WORK/dk/store:v1" --to-plain-http "$R2/docker/img" > dk.out || fail "copy of a manifest list: $(cat dk.out)"
[ "$("$LADE" resolve --plain-http "$R2/docker/img:v1")" = "sha256:$(sha256sum dk/list.json | cut -d' ' -f1)" ] ||
  fail "the manifest list's digest changed"
skopeo inspect --tls-verify=false --raw "docker://$R2/docker/img:v1" | cmp -s - dk/list.json || fail "skopeo reads other bytes"
pass "Docker schema 2 manifest list and manifest copied as they are (indented bytes, same digests)"

# kill -9 in the middle of a copy, then a rerun: it completes, the tag appears only at the end, and
# the layers that had arrived are not sent again. The layers go at once, each at 4 MiB/s: the three
# small ones arrive in about 1.3 s, the large one would take 12 s.
mkdir -p four && for i in 1 2 3; do head -c $((5 << 20)) /dev/urandom > "four/layer$i.bin"; done
head -c $((48 << 20)) /dev/urandom > four/layer4.bin
(cd four && "$LADE" push --plain-http "$R1/team/four:v1" layer1.bin layer2.bin layer3.bin layer4.bin > /dev/null) ||
  fail "push the four-layer artifact"
"$LADE" copy --plain-http --limit-rate 4M "$R1/team/four:v1" "$R2/team/four:v1" > killed.out 2>&1 &
pid=$!
sleep 4.5
kill -9 "$pid" 2> /dev/null || fail "the copy ended before it could be killed"
wait "$pid" 2> /dev/null || true
"$LADE" repo tags --plain-http "$R2/team/four" 2> /dev/null | grep -q . && fail "a killed copy left its tag"
"$LADE" copy --plain-http "$R1/team/four:v1" "$R2/team/four:v1" > rerun.out || fail "the rerun after kill -9"
there=$(sed -n 's/.*, \([0-9]*\) already there$/\1/p' rerun.out)
[ "${there:-0}" -ge 2 ] || fail "the rerun sent again what had arrived: $(cat rerun.out)"
[ "$("$LADE" resolve --plain-http "$R2/team/four:v1")" = "$("$LADE" resolve --plain-http "$R1/team/four:v1")" ] ||
  fail "the rerun did not complete the copy"
pass "kill -9 mid-copy: no tag; the rerun completes and skips the $there blobs that had arrived"

# --all-tags: every tag of a repository; a second run copies nothing.
"$LADE" tag --plain-http "$R1/team/four:v1" v2 > /dev/null
"$LADE" copy --all-tags --plain-http "$R1/team/four" "$R2/all/four" > all.out || fail "copy --all-tags: $(cat all.out)"
grep -q 'Tags: 2 copied' all.out || fail "copy --all-tags: $(cat all.out)"
[ "$("$LADE" repo tags --plain-http "$R2/all/four" | sort | tr '\n' ' ')" = "v1 v2 " ] || fail "--all-tags tags"
"$LADE" copy --all-tags --plain-http "$R1/team/four" "$R2/all/four" | grep -q ': 0 manifests, 0 blobs copied' ||
  fail "a second --all-tags copied again"
pass "copy --all-tags: every tag; a second run sends nothing"

# An artifact with a two-level referrer tree, copied with -r to another registry and into a layout.
source "$HARNESS_DIR/referrers.sh"
attach_all --plain-http "$R1/team/demo:1.2.3"
"$LADE" copy -r --plain-http "$R1/team/demo:1.2.3" "$R2/team/demo:1.2.3" > c8.out || fail "copy -r: $(cat c8.out)"
grep -q 'Referrers: 3' c8.out || fail "copy -r did not count 3 referrers: $(cat c8.out)"
check_discovery --plain-http "$R2/team/demo:1.2.3"
"$LADE" copy -r --from-plain-http "$R1/team/demo:1.2.3" --to-oci-layout "$WORK/tree:1.2.3" > c9.out || fail "copy -r to a layout"
check_discovery --oci-layout "$WORK/tree:1.2.3"
"$LADE" copy -r --from-plain-http "$R1/team/demo:1.2.3" --to-oci-layout "$WORK/air.tar:1.2.3" > c10.out ||
  fail "copy -r into a layout tar: $(cat c10.out)"
check_discovery --oci-layout "$WORK/air.tar:1.2.3"
skopeo inspect --raw "oci-archive:$WORK/air.tar:1.2.3" | grep -q "$SBOM" && fail "skopeo read a referrer as the tag"
skopeo inspect --raw "oci-archive:$WORK/air.tar:1.2.3" > /dev/null || fail "skopeo does not read the layout tar"
"$LADE" copy -r --from-oci-layout "$WORK/air.tar:1.2.3" --to-plain-http "$R2/fromtar/demo:1.2.3" > c11.out ||
  fail "copy -r out of a layout tar"
[ "$("$LADE" resolve --plain-http "$R2/fromtar/demo:1.2.3")" = "$SUBJECT" ] || fail "the digest changed through the tar"
check_discovery --plain-http "$R2/fromtar/demo:1.2.3"
pass "copy -r: a two-level referrer tree arrives at another registry, in a layout and in a layout tar (and back); discover shows the same tree"

# In parallel: an index of three images, each a 5 MiB layer, goes into a registry that records how
# many requests it is answering at once. Each transfer is held to 2 MiB/s, so one after another the
# three uploads never meet; with --concurrency 3 they are all open together, across the manifests.
python3 - "$WORK/par" "$HARNESS_DIR" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[2])
from fixtures import Layout
out = Layout(sys.argv[1])
out.index([out.image({"architecture": arch, "os": "linux"},
                     [out.put(os.urandom(5 << 20), "application/vnd.oci.image.layer.v1.tar")])
           for arch in ("amd64", "arm64", "s390x")], "v1")
PY
echo '{"rules": [], "registry": {"page_size": 100}}' > par.json
start_fault_server "$WORK/par.json"
"$LADE" copy --from-oci-layout "$WORK/par:v1" --to-plain-http "$R1/team/par:v1" > /dev/null || fail "copy the parallel index in"
"$LADE" copy --plain-http --limit-rate 2M --concurrency 3 "$R1/team/par:v1" "$FAULT/team/par:v1" > par.out ||
  fail "copy to the recording registry: $(cat par.out)"
at_once=$(python3 -c '
import json, sys
print(max([r["in_flight"] for r in map(json.loads, open(sys.argv[1])) if r["method"] == "PUT" and r["body_length"] == 5 << 20] or [0]))
' "$FAULT_LOG")
[ "$at_once" -ge 3 ] || fail "the three 5 MiB layers of three manifests were not in flight together (at most $at_once)"
[ "$("$LADE" resolve --plain-http "$FAULT/team/par:v1")" = "$("$LADE" resolve --plain-http "$R1/team/par:v1")" ] ||
  fail "the index's digest changed on the way"
# And back out through sockets into a layout, and from a layout to a registry: the layout's side of them.
"$LADE" copy --plain-http --concurrency 3 "$FAULT/team/par:v1" --to-oci-layout "$WORK/par-back:v1" > /dev/null ||
  fail "registry -> layout in parallel"
"$LADE" copy --from-oci-layout "$WORK/par-back:v1" --to-plain-http "$R2/team/par:v1" > /dev/null ||
  fail "layout -> registry in parallel"
[ "$("$LADE" resolve --plain-http "$R2/team/par:v1")" = "$("$LADE" resolve --plain-http "$R1/team/par:v1")" ] ||
  fail "the index's digest changed on the way back"
oci-image-tool validate --type imageIndex "$WORK/par-back/index.json" > /dev/null || fail "oci-image-tool rejects the layout"
pass "an index's layers move together: $at_once 5 MiB uploads of three manifests in flight at once; back through a layout unchanged"

# A PUT that fails after its body went cannot be sent again by the engine (the socket is read once):
# the copy sends the blobs that did not arrive again, in a new round, from the source.
cat > retry.json <<'JSON'
{"rules": [{"method": "PUT", "path": "^/v2/team/retry/blobs/uploads/", "status": 500, "times": 1,
            "body": "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"storage hiccup\"}]}"}],
 "registry": {"page_size": 100}}
JSON
start_fault_server "$WORK/retry.json"
"$LADE" copy --from-oci-layout "$WORK/par:v1" --to-plain-http "$FAULT/team/retry:v1" > retry.out 2>&1 ||
  fail "a copy whose first upload got a 500 did not go again: $(cat retry.out)"
[ "$("$LADE" resolve --plain-http "$FAULT/team/retry:v1")" = "$("$LADE" resolve --plain-http "$R1/team/par:v1")" ] ||
  fail "the retried copy changed the index's digest"
puts=$(grep -c '"method": "PUT", "path": "/v2/team/retry/blobs/uploads/' "$FAULT_LOG")
[ "$puts" = 7 ] || fail "6 blobs and one failed PUT should make 7 blob PUTs, not $puts"
pass "a blob PUT answered 500 after its body went: the copy sends what did not arrive again and completes"

# A destination that takes more at once than the source sends: its uploads wait for their first
# bytes before they go on the wire, so none is cut as stalled while the source is busy with others
# (1 MiB/s from the source one blob at a time; four uploads open; a 2 s stall limit).
for i in 1 2 3 4; do head -c $((1 << 20)) /dev/urandom > "slow$i.bin"; done
"$LADE" push --plain-http "$R1/team/slow:v1" slow1.bin slow2.bin slow3.bin slow4.bin > /dev/null
echo '{"rules": [], "registry": {"page_size": 100}}' > slow.json
start_fault_server "$WORK/slow.json"
"$LADE" copy --plain-http --stall-timeout 2 --from-concurrency 1 --from-limit-rate 1M --to-concurrency 4 \
  "$R1/team/slow:v1" "$FAULT/team/slow:v1" > slow.out 2>&1 || fail "uploads waiting on a slow source were cut: $(cat slow.out)"
posts=$(grep -c '"method": "POST", "path": "/v2/team/slow/blobs/uploads/' "$FAULT_LOG")
[ "$posts" = 5 ] || fail "5 blobs took $posts upload sessions: an upload was cut and sent again"
pass "uploads wait for their source's first bytes: four open against a source sending one at a time, none cut as stalled"

# Bad input: nothing tagged at the destination.
expect_fail 1 "not found|MANIFEST_UNKNOWN" -- "$LADE" copy --plain-http "$R1/team/multi:nosuch" "$R2/bad/one:v1"
python3 - "$WORK" "$HARNESS_DIR" <<'PY'
import json, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from fixtures import digest, layer, manifest_rules
rules = []
honest = b"the real content\n"
manifest_rules(rules, "liar/app", [layer(honest, "file.txt")])
# the empty config is honest; the file's blob is served with other bytes than its digest says
rules.append({"method": "GET", "path": f"^/v2/liar/app/blobs/{digest(b'{}')}$", "status": 200, "body": "{}"})
rules.append({"method": "GET", "path": f"^/v2/liar/app/blobs/{digest(honest)}$", "status": 200, "body": "THE REAL CONTENT\n"})
json.dump({"rules": rules}, open(f"{work}/liar.json", "w"))
PY
start_fault_server "$WORK/liar.json"
expect_fail 1 "does not match|digest" -- "$LADE" copy --from-plain-http "$FAULT/liar/app:v1" --to-plain-http "$R2/bad/liar:v1"
"$LADE" repo tags --plain-http "$R2/bad/liar" 2> /dev/null | grep -q . && fail "a lying source left a tag"
"$LADE" repo tags --plain-http "$R2/bad/one" 2> /dev/null | grep -q . && fail "a missing source left a tag"
printf 'not a tar at all\n' > junk.tar
expect_fail 1 "not a tar archive" -- "$LADE" copy --plain-http "$R1/team/four:v1" --to-oci-layout "$WORK/junk.tar:v1"
[ "$(cat junk.tar)" = "not a tar at all" ] || fail "a refused copy changed the file that is no layout tar"
mkdir -p plain && echo hi > plain/a.txt && tar -cf plain.tar -C plain a.txt
expect_fail 1 "is not an OCI layout archive" -- "$LADE" copy --plain-http "$R1/team/four:v1" --to-oci-layout "$WORK/plain.tar:v1"
tar -tf plain.tar | grep -qx a.txt && [ "$(tar -tf plain.tar | wc -l)" = 1 ] || fail "a refused copy changed the tar"
# a layout tar that climbs out of its folder: refused as a hostile folder artifact is, nothing written outside
python3 - "$WORK" <<'PY'
import io, sys, tarfile
work = sys.argv[1]
with tarfile.open(f"{work}/climb.tar", "w") as t:
    for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("../escaped.txt", b"out")):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY
expect_fail 1 "refusing entry '../escaped.txt'" -- "$LADE" resolve --oci-layout "$WORK/climb.tar:v1"
[ -e "$(dirname "${TMPDIR:-/tmp}/x")/escaped.txt" ] && fail "a layout tar wrote outside its folder"
pass "bad input: a missing tag, a missing platform, a source that lies about a blob, a layout tar that is none or climbs out: exit 1, nothing tagged or changed"
echo "copy: all passed"
