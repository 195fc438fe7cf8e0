#!/usr/bin/env bash
# The embedded default: an OCI image layout folder, no server. Checked with
# skopeo and oci-image-tool.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
mkdir -p in/sub
echo "hello" > in/hello.txt
head -c 300000 /dev/urandom > in/sub/data.bin
: > in/empty

(cd in && "$LADE" push --oci-layout "$WORK/store:v1" hello.txt sub/data.bin empty \
   --export-manifest "$WORK/manifest.json" -a org.example.k=v) > push.out || fail "push to layout"
digest=$(sed -n 's/^Digest: //p' push.out)
"$LADE" pull --oci-layout "$WORK/store:v1" -o out > /dev/null || fail "pull from layout"
for f in hello.txt sub/data.bin empty; do cmp "in/$f" "out/$f" || fail "$f differs"; done
pass "push and pull through a layout, nested titles kept"

[ "$("$LADE" resolve --oci-layout "$WORK/store:v1")" = "$digest" ] || fail "resolve in layout"
"$LADE" pull --oci-layout "$WORK/store@$digest" -o out-by-digest > /dev/null || fail "pull by digest"
cmp in/hello.txt out-by-digest/hello.txt || fail "pull by digest differs"
"$LADE" manifest fetch --oci-layout "$WORK/store:v1" | cmp - manifest.json || fail "exported manifest differs"
grep -q '"org.example.k":"v"' manifest.json || fail "annotation missing"
pass "resolve, pull by digest, manifest fetch, annotations"

oci-image-tool validate --type manifest manifest.json > /dev/null || fail "oci-image-tool rejects the manifest"
oci-image-tool validate --type imageIndex store/index.json > /dev/null || fail "oci-image-tool rejects index.json"
skopeo inspect --raw "oci:$WORK/store:v1" | cmp - manifest.json || fail "skopeo reads other bytes"
pass "oci-image-tool validates manifest and index; skopeo reads the layout"

# --annotation-file (ORAS's format) and --config.
cat > ann.json <<'JSON'
{"$manifest": {"org.example.m": "1"}, "$config": {"org.example.c": "2"},
 "hello.txt": {"org.example.f": "3", "org.opencontainers.image.title": "renamed.txt"}}
JSON
echo '{"kind":"example"}' > in/cfg.json
(cd in && "$LADE" push --oci-layout "$WORK/store:cfg" hello.txt:text/x-hello --annotation-file "$WORK/ann.json" \
   --config cfg.json:application/vnd.example.config.v1+json --export-manifest "$WORK/cfg-manifest.json") > /dev/null ||
  fail "push with --annotation-file and --config"
python3 - "$WORK/cfg-manifest.json" <<'PY' || fail "annotation file or config not applied"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["annotations"] == {"org.example.m": "1"}, m
assert m["config"]["mediaType"] == "application/vnd.example.config.v1+json", m
assert m["config"]["size"] == 19 and m["config"]["annotations"] == {"org.example.c": "2"}, m
assert "artifactType" not in m, m
layer = m["layers"][0]
assert layer["mediaType"] == "text/x-hello", layer
assert layer["annotations"] == {"org.example.f": "3", "org.opencontainers.image.title": "renamed.txt"}, layer
PY
"$LADE" pull --oci-layout "$WORK/store:cfg" -o cfg-out > /dev/null && cmp in/hello.txt cfg-out/renamed.txt ||
  fail "the title from the annotation file was not used on pull"
pass "--annotation-file (\$manifest, \$config, per file) and --config F:TYPE"

# Two lade processes pushing to one layout at once keep every tag.
for i in 1 2 3 4 5 6; do
  (cd in && "$LADE" push --oci-layout "$WORK/store:p$i" hello.txt > /dev/null) &
done
wait
[ "$("$LADE" repo tags --oci-layout "$WORK/store" | sort | tr '\n' ' ')" = "cfg p1 p2 p3 p4 p5 p6 v1 " ] ||
  fail "concurrent pushes lost a tag: $("$LADE" repo tags --oci-layout "$WORK/store")"
pass "concurrent pushes into one layout keep every tag"

# Reproducible: same files, other times and another layout, same digest.
cp -r in in2
touch -d '2001-01-01' in2/hello.txt in2/sub/data.bin
(cd in2 && "$LADE" push --oci-layout "$WORK/store2:v1" hello.txt sub/data.bin empty -a org.example.k=v) > push2.out
grep -q "^Digest: $digest\$" push2.out || fail "same inputs gave another digest"
pass "reproducible: same inputs, same manifest digest"

# -k keeps an existing file; without it the file is replaced whole.
echo "old" > out/hello.txt
expect_fail 1 "exists; not replacing" -- "$LADE" pull --oci-layout "$WORK/store:v1" -o out -k
[ "$(cat out/hello.txt)" = old ] || fail "-k replaced the file"
"$LADE" pull --oci-layout "$WORK/store:v1" -o out > /dev/null
cmp in/hello.txt out/hello.txt || fail "pull did not replace the file"
pass "--keep-old-files"
echo "layout: all passed"
