#!/usr/bin/env bash
# Artifact kinds: Helm charts, wasm modules and components, tarballs and
# folders are recognised, packed as their ecosystems expect, and come back
# under the right name - through a layout and through a real registry.
# Manifests and configs are compared field by field.
source "$(dirname "$0")/../harness/lib.sh"
export TZ=UTC # created is the .tgz time in local time, as helm push writes it
JCO=${LADE_TEST_TOOLS:-/opt/lade-test-tools}/node_modules/.bin/jco
# Only the wasm part needs the wasm tools; CI (.ci/install-deps) has them and must run it.
wasm_tools=1
command -v wat2wasm > /dev/null && [ -x "$JCO" ] || wasm_tools=
if [ -z "$wasm_tools" ]; then
  [ -z "${CI:-}" ] || fail "CI must have wat2wasm (Debian wabt) and jco (npm), .ci/install-deps installs them"
  echo "note: wat2wasm or jco missing: the wasm part is skipped" >&2
fi
start_registry plain
cd "$WORK"
R="$REGISTRY/kinds"

# check_json FILE PYTHON-EXPRESSION... : every expression must hold for the JSON document j
check_json() {
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY' || fail "$file: a field check failed"
import json, sys
j = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    if not eval(expr, {"j": j}):
        print(f"check failed: {expr}\n{json.dumps(j, indent=1)}", file=sys.stderr)
        sys.exit(1)
PY
}
# ---------- fixtures ----------
make_chart() { # dir name version [extra Chart.yaml lines]
  local dir=$1 name=$2 version=$3
  mkdir -p "$dir/$name/templates"
  {
    echo "apiVersion: v2"
    echo "name: $name"
    echo "description: A test chart"
    echo "type: application"
    [ -n "$version" ] && echo "version: $version"
    echo 'appVersion: "1.16.0"'
    echo "home: https://example.com/$name"
    echo "sources: [https://example.com/src, https://example.com/other]"
    echo "maintainers:"
    echo "  - name: John Snow"
    echo "    email: john@winterfell.com"
    echo "  - name: Arya"
    echo "annotations:"
    echo "  example.com/team: blue"
    echo "  org.opencontainers.image.version: 9.9.9"
    echo "  org.opencontainers.image.description: from the chart"
  } > "$dir/$name/Chart.yaml"
  echo "replicaCount: 1" > "$dir/$name/values.yaml"
  echo "kind: ConfigMap" > "$dir/$name/templates/cm.yaml"
  touch -d '2024-05-06 07:08:09 UTC' "$dir/$name/Chart.yaml" "$dir/$name/values.yaml" "$dir/$name/templates/cm.yaml"
  # As helm package writes them: files only, Chart.yaml first.
  (cd "$dir" && tar --owner=0 --group=0 -czf "$name-$version.tgz" "$name/Chart.yaml" "$name/values.yaml" \
    "$name/templates/cm.yaml")
  touch -d '2024-05-06 07:08:09 UTC' "$dir/$name-$version.tgz"
}
mkdir charts
make_chart charts demo 1.2.3+build.7
echo "-----BEGIN PGP SIGNED MESSAGE-----" > "charts/demo-1.2.3+build.7.tgz.prov"
make_chart charts plain 0.1.0

cat > mod.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
WAT
[ -z "$wasm_tools" ] || { wat2wasm mod.wat -o mod.wasm && touch -d "2023-04-05 06:07:08 UTC" mod.wasm; }
cat > comp.wat <<'WAT'
(component
  (import "wasi:cli/environment@0.2.0" (instance (export "get-arguments" (func (result (list string))))))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance (export "now" (func (result u64)))))
  (import "log" (func (param "msg" string)))
  (core module $m (func (export "run") (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $runner (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $runner))
  (export "hello" (func $run)))
WAT
[ -z "$wasm_tools" ] || "$JCO" parse comp.wat -o comp.wasm > /dev/null
mkdir -p tarsrc/x && echo hello > tarsrc/x/a.txt
tar -czf data.tar.gz -C tarsrc x
tar -cf data.tar -C tarsrc x
tar -C tarsrc -cf - x | zstd -q -o data.tar.zst
mkdir -p tree/a/b tree/empty-dir && echo one > tree/a/one.txt && echo two > tree/a/b/two.txt
: > tree/empty.txt && ln -s a/one.txt tree/link && printf '#!/bin/sh\necho hi\n' > tree/run.sh && chmod 755 tree/run.sh

# ---------- Helm ----------
for where in layout registry; do
  if [ $where = layout ]; then T=(--oci-layout); base="$WORK/store"; else T=(--plain-http); base="$R"; fi
  (cd charts && "$LADE" push "${T[@]}" "$base/demo" "demo-1.2.3+build.7.tgz") > push.out || fail "helm push ($where)"
  grep -q '^Kind: helm$' push.out || fail "chart not recognised ($where)"
  "$LADE" manifest fetch "${T[@]}" "$base/demo:1.2.3_build.7" > helm-manifest.json || fail "the version tag with _ ($where)"
  check_json helm-manifest.json '"mediaType" not in j' '"artifactType" not in j' \
    'j["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"' \
    '[l["mediaType"] for l in j["layers"]] == [l["mediaType"] for l in sorted(j["layers"], key=lambda l: l["digest"])]' \
    'sorted(l["mediaType"] for l in j["layers"]) == ["application/vnd.cncf.helm.chart.content.v1.tar+gzip", "application/vnd.cncf.helm.chart.provenance.v1.prov"]' \
    'all("annotations" not in l for l in j["layers"])' \
    'j["annotations"]["org.opencontainers.image.title"] == "demo"' \
    'j["annotations"]["org.opencontainers.image.version"] == "1.2.3+build.7"' \
    'j["annotations"]["org.opencontainers.image.description"] == "from the chart"' \
    'j["annotations"]["org.opencontainers.image.url"] == "https://example.com/demo"' \
    'j["annotations"]["org.opencontainers.image.source"] == "https://example.com/src"' \
    'j["annotations"]["org.opencontainers.image.authors"] == "John Snow (john@winterfell.com), Arya"' \
    'j["annotations"]["org.opencontainers.image.created"] == "2024-05-06T07:08:09Z"' \
    'j["annotations"]["example.com/team"] == "blue"'
  rm -rf helm-out && "$LADE" pull "${T[@]}" "$base/demo:1.2.3_build.7" -o helm-out > /dev/null || fail "helm pull ($where)"
  cmp charts/demo-1.2.3+build.7.tgz helm-out/demo-1.2.3+build.7.tgz || fail "chart bytes differ ($where)"
  cmp charts/demo-1.2.3+build.7.tgz.prov helm-out/demo-1.2.3+build.7.tgz.prov || fail "prov differs ($where)"
done
python3 - "$WORK" <<'PY' || fail "helm config JSON is not Helm's"
import json, sys, hashlib, subprocess
m = json.load(open(f"{sys.argv[1]}/helm-manifest.json"))
digest = m["config"]["digest"].split(":")[1]
c = open(f"{sys.argv[1]}/store/demo/blobs/sha256/{digest}", "rb").read()
keys = list(json.loads(c).keys())
assert keys == ["name", "home", "sources", "version", "description", "maintainers", "apiVersion", "appVersion",
                "annotations", "type"], keys
j = json.loads(c)
assert j["maintainers"] == [{"name": "John Snow", "email": "john@winterfell.com"}, {"name": "Arya"}], j
assert j["version"] == "1.2.3+build.7" and j["sources"] == ["https://example.com/src", "https://example.com/other"]
assert b" " not in c.split(b'"description"')[0], "config is not compact"
PY
pass "Helm chart with .prov and a +build version: helm push's manifest, config and annotations; back as <name>-<version>.tgz"

"$LADE" push --plain-http "oci://$REGISTRY/charts" charts/plain-0.1.0.tgz > oci.out || fail "oci:// push"
grep -q "^Pushed $REGISTRY/charts/plain:0.1.0\$" oci.out || fail "oci:// did not append the chart name: $(cat oci.out)"
[ "$("$LADE" repo tags --plain-http "$REGISTRY/charts/plain")" = 0.1.0 ] || fail "oci:// tag"
rm -rf plain-out && "$LADE" pull --plain-http "$REGISTRY/charts/plain:0.1.0" -o plain-out > /dev/null
cmp charts/plain-0.1.0.tgz plain-out/plain-0.1.0.tgz || fail "plain chart differs"
"$LADE" manifest fetch --plain-http "$REGISTRY/charts/plain:0.1.0" > plain-manifest.json
check_json plain-manifest.json 'len(j["layers"]) == 1'
pass "oci://host/ns appends the chart name and tags the version, as helm push does; no .prov, one layer"

# created is the .tgz file's modification time, as helm push writes it (local time, RFC 3339);
# SOURCE_DATE_EPOCH overrides it, so copies with other times on disk give one digest.
cp charts/plain-0.1.0.tgz copy1.tgz; cp charts/plain-0.1.0.tgz copy2.tgz
touch -d '2001-02-03 04:05:06 UTC' copy1.tgz; touch -d '2022-12-31 00:00:00 UTC' copy2.tgz
d1=$(TZ=UTC "$LADE" push --oci-layout "$WORK/repro1:a" copy1.tgz | sed -n 's/^Digest: //p')
d2=$(TZ=UTC "$LADE" push --oci-layout "$WORK/repro2:a" copy2.tgz | sed -n 's/^Digest: //p')
[ -n "$d1" ] && [ "$d1" != "$d2" ] || fail "other file times should give other created values: $d1 vs $d2"
"$LADE" manifest fetch --oci-layout "$WORK/repro1:a" > repro1.json
check_json repro1.json 'j["annotations"]["org.opencontainers.image.created"] == "2001-02-03T04:05:06Z"'
TZ=Asia/Kolkata "$LADE" push --oci-layout "$WORK/repro4:a" copy1.tgz > /dev/null
"$LADE" manifest fetch --oci-layout "$WORK/repro4:a" > repro4.json
check_json repro4.json 'j["annotations"]["org.opencontainers.image.created"] == "2001-02-03T09:35:06+05:30"'
d3=$(SOURCE_DATE_EPOCH=1700000000 "$LADE" push --oci-layout "$WORK/repro3:a" copy1.tgz | sed -n 's/^Digest: //p')
d4=$(SOURCE_DATE_EPOCH=1700000000 "$LADE" push --oci-layout "$WORK/repro3:b" copy2.tgz | sed -n 's/^Digest: //p')
[ "$d3" != "$d1" ] && [ "$d3" = "$d4" ] || fail "SOURCE_DATE_EPOCH did not set created"
pass "created is the .tgz's time on disk in local time (as helm push); SOURCE_DATE_EPOCH makes it reproducible"

# ---------- wasm ----------
if [ -n "$wasm_tools" ]; then
for where in layout registry; do
  if [ $where = layout ]; then T=(--oci-layout); base="$WORK/wstore"; else T=(--plain-http); base="$R"; fi
  "$LADE" push "${T[@]}" "$base/mod:v1" mod.wasm > /dev/null || fail "module push ($where)"
  "$LADE" push "${T[@]}" "$base/comp:v1" comp.wasm > /dev/null || fail "component push ($where)"
  for w in mod comp; do
    "$LADE" manifest fetch "${T[@]}" "$base/$w:v1" > "$w-manifest.json"
    check_json "$w-manifest.json" 'j["mediaType"] == "application/vnd.oci.image.manifest.v1+json"' \
      '"artifactType" not in j' 'j["config"]["mediaType"] == "application/vnd.wasm.config.v0+json"' \
      'len(j["layers"]) == 1 and j["layers"][0]["mediaType"] == "application/wasm"'
    cfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$w-manifest.json")
    if [ $where = layout ]; then "$LADE" blob fetch --oci-layout "$base/$w@$cfg" -o "$w-config.json"
    else "$LADE" blob fetch --plain-http "$base/$w@$cfg" -o "$w-config.json"; fi
    rm -rf wasm-out && "$LADE" pull "${T[@]}" "$base/$w:v1" -o wasm-out > /dev/null || fail "$w pull ($where)"
    cmp "$w.wasm" "wasm-out/$w.wasm" || fail "$w differs ($where)"
  done
done
layer_digest="sha256:$(sha256sum mod.wasm | cut -d' ' -f1)"
check_json mod-config.json 'j["architecture"] == "wasm"' 'j["os"] == "wasip1"' \
  "j[\"layerDigests\"] == [\"$layer_digest\"]" 'j["created"] == "2023-04-05T06:07:08Z"' 'j["component"] is None and j["author"] is None' 'list(j) == ["created", "author", "architecture", "os", "layerDigests", "component"]'
# What lade records must be what jco reads in the component.
"$JCO" wit comp.wasm > comp.wit
python3 - "$WORK/comp-config.json" "$WORK/comp.wit" <<'PY' || fail "component imports/exports differ from jco wit"
import json, re, sys
c = json.load(open(sys.argv[1]))
wit = open(sys.argv[2]).read()
imports = [re.match(r"\s*import ([^;:]+(?::[^;: ]+/[^;: ]+)?)", l).group(1).strip() for l in wit.splitlines() if l.strip().startswith("import ")]
exports = [re.match(r"\s*export ([^;:]+(?::[^;: ]+/[^;: ]+)?)", l).group(1).strip() for l in wit.splitlines() if l.strip().startswith("export ")]
assert c["os"] == "wasip2" and c["architecture"] == "wasm", c
assert c["component"]["imports"] == imports, (c["component"]["imports"], imports)
assert c["component"]["exports"] == exports, (c["component"]["exports"], exports)
assert len(imports) >= 3 and len(exports) >= 2
PY
SOURCE_DATE_EPOCH=1700000000 "$LADE" push --oci-layout "$WORK/wdated:v1" mod.wasm > /dev/null
cfg=$("$LADE" manifest fetch --oci-layout "$WORK/wdated:v1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
"$LADE" blob fetch --oci-layout "$WORK/wdated@$cfg" -o dated-config.json
check_json dated-config.json 'j["created"] == "2023-11-14T22:13:20Z"'
pass "wasm module (wasip1) and component (wasip2, imports and exports as jco wit prints them) round trip"
fi

# ---------- tarballs ----------
(cd "$WORK" && "$LADE" push --oci-layout "$WORK/tstore:v1" data.tar.gz data.tar data.tar.zst) > /dev/null
"$LADE" manifest fetch --oci-layout "$WORK/tstore:v1" > tar-manifest.json
check_json tar-manifest.json \
  '[l["mediaType"] for l in j["layers"]] == ["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+zstd"]' \
  '[l["annotations"]["org.opencontainers.image.title"] for l in j["layers"]] == ["data.tar.gz", "data.tar", "data.tar.zst"]'
"$LADE" push --plain-http "$R/tars:v1" data.tar.gz data.tar.zst > /dev/null
rm -rf tar-out && "$LADE" pull --plain-http "$R/tars:v1" -o tar-out > /dev/null
cmp data.tar.gz tar-out/data.tar.gz && cmp data.tar.zst tar-out/data.tar.zst || fail "tarballs differ"
pass "tar, tar+gzip and tar+zstd become layers of their media types and come back byte-identical"

# ---------- folders ----------
for where in layout registry; do
  if [ $where = layout ]; then T=(--oci-layout); base="$WORK/dstore"; else T=(--plain-http); base="$R"; fi
  "$LADE" push "${T[@]}" "$base/tree:v1" tree > /dev/null || fail "folder push ($where)"
  rm -rf dir-out && "$LADE" pull "${T[@]}" "$base/tree:v1" -o dir-out > /dev/null || fail "folder pull ($where)"
  diff -r tree dir-out/tree || fail "folder differs ($where)"
  [ "$(readlink dir-out/tree/link)" = a/one.txt ] || fail "symlink not kept ($where)"
  [ -x dir-out/tree/run.sh ] || fail "script lost its mode ($where)"
  [ -d dir-out/tree/empty-dir ] && [ -f dir-out/tree/empty.txt ] || fail "empty entries lost ($where)"
  # Pulled again into the same folder: the old copy is replaced whole, not in the way.
  echo stale > dir-out/tree/stale.txt
  "$LADE" pull "${T[@]}" "$base/tree:v1" -o dir-out > /dev/null 2> again.err || fail "folder pulled again ($where): $(cat again.err)"
  diff -r tree dir-out/tree || fail "the folder pulled again differs ($where)"
  [ -z "$(ls -A dir-out | grep -v '^tree$')" ] || fail "leftovers beside the folder pulled again: $(ls -A dir-out)"
done
"$LADE" manifest fetch --oci-layout "$WORK/dstore/tree:v1" > dir-manifest.json
check_json dir-manifest.json 'j["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"' \
  'j["layers"][0]["annotations"]["io.deis.oras.content.unpack"] == "true"' \
  'j["layers"][0]["annotations"]["org.opencontainers.image.title"] == "tree"' \
  'j["layers"][0]["annotations"]["io.deis.oras.content.digest"].startswith("sha256:")'
# The same tree checked out twice, other times and owners: the same layer digest.
mkdir -p co1 co2 && cp -a tree co1/ && cp -a tree co2/
find co2/tree -exec touch -h -d '1999-09-09' {} + || fail "cannot set times in co2"
if [ "$(id -u)" = 0 ]; then
  chown -hR 1234:4321 co2/tree || fail "cannot change owners in co2"
  [ "$(stat -c %u:%g co2/tree/a)" = 1234:4321 ] || fail "co2's owners did not change"
else
  echo "note: not root, so owners are not varied (times are)" >&2
fi
l1=$("$LADE" push --oci-layout "$WORK/dr1:v1" co1/tree --export-manifest m1.json >/dev/null && python3 -c 'import json; print(json.load(open("m1.json"))["layers"][0]["digest"])')
l2=$("$LADE" push --oci-layout "$WORK/dr2:v1" co2/tree --export-manifest m2.json >/dev/null && python3 -c 'import json; print(json.load(open("m2.json"))["layers"][0]["digest"])')
[ -n "$l1" ] && [ "$l1" = "$l2" ] || fail "same tree, other times and owners: $l1 vs $l2"
pass "folders: nested, empty file, symlink, mode-755 script round trip; reproducible layer digest"

# An ORAS-made folder artifact: mtimes, owners, ./ names; its tar digest is checked.
python3 - "$WORK" <<'PY'
import gzip, hashlib, io, json, tarfile, sys, time
work = sys.argv[1]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("oras-dir", None), ("oras-dir/f.txt", b"from oras\n")):
        info = tarfile.TarInfo(name)
        info.mtime = 1600000000; info.uid = 501; info.uname = "someone"
        if data is None: info.type = tarfile.DIRTYPE; info.mode = 0o755
        else: info.size = len(data); info.mode = 0o644
        t.addfile(info, io.BytesIO(data) if data else None)
raw = buf.getvalue()
open(f"{work}/oras.tar.gz", "wb").write(gzip.compress(raw))
json.dump({"oras.tar.gz": {"org.opencontainers.image.title": "oras-dir", "io.deis.oras.content.unpack": "true",
           "io.deis.oras.content.digest": "sha256:" + hashlib.sha256(raw).hexdigest()}}, open(f"{work}/oras-ann.json", "w"))
json.dump({"oras.tar.gz": {"org.opencontainers.image.title": "oras-dir", "io.deis.oras.content.unpack": "true",
           "io.deis.oras.content.digest": "sha256:" + "0" * 64}}, open(f"{work}/oras-bad-ann.json", "w"))
PY
"$LADE" push --oci-layout "$WORK/oras:v1" oras.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip \
  --annotation-file oras-ann.json > /dev/null
rm -rf oras-out && "$LADE" pull --oci-layout "$WORK/oras:v1" -o oras-out > /dev/null || fail "ORAS-made folder"
[ "$(cat oras-out/oras-dir/f.txt)" = "from oras" ] || fail "ORAS-made folder content"
"$LADE" push --oci-layout "$WORK/oras:bad" oras.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip \
  --annotation-file oras-bad-ann.json > /dev/null
expect_fail 1 "content digest mismatch" -- "$LADE" pull --oci-layout "$WORK/oras:bad" -o oras-bad
[ ! -e oras-bad/oras-dir ] || fail "a folder with a wrong tar digest took its final name"
pass "ORAS-made folder artifacts unpack; a wrong tar digest is refused and leaves nothing"

# ---------- the pull side ----------
"$LADE" push --oci-layout "$WORK/sel:v1" data.tar.gz mod.wat comp.wat > /dev/null
rm -rf sel-out && "$LADE" pull --oci-layout "$WORK/sel:v1" -o sel-out --file mod.wat > /dev/null
[ -f sel-out/mod.wat ] && [ ! -e sel-out/comp.wat ] && [ ! -e sel-out/data.tar.gz ] || fail "--file"
rm -rf sel-out && "$LADE" pull --oci-layout "$WORK/sel:v1" -o sel-out --media-type application/vnd.oci.image.layer.v1.tar+gzip > /dev/null
[ -f sel-out/data.tar.gz ] && [ ! -e sel-out/mod.wat ] || fail "--media-type"
"$LADE" pull --oci-layout "$WORK/sel:v1" --file comp.wat -o - 2> /dev/null | cmp - comp.wat || fail "-o - of one layer"
expect_fail 1 "exactly one layer" -- "$LADE" pull --oci-layout "$WORK/sel:v1" -o -
expect_fail 1 "no layer .* matches" -- "$LADE" pull --oci-layout "$WORK/sel:v1" --file nope -o sel-out
[ -z "$wasm_tools" ] || "$LADE" pull --oci-layout "$WORK/wstore/comp:v1" -o - 2> /dev/null | cmp - comp.wasm ||
  fail "-o - of a wasm artifact"
pass "pull --file, --media-type and -o - (one layer to standard output)"

echo "kinds: all passed"
