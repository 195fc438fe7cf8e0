#!/usr/bin/env bash
# Hostile artifacts, layouts and inputs, generated here at test time: every
# one is refused or made safe, with a clear message, within a bounded
# memory and time, and after each one nothing exists outside the output
# folder (a find over the whole scratch root, lade's temporary folder
# included, says what changed).
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
mkdir -p out tmp
export TMPDIR="$WORK/tmp"
RSS_MAX_KB=${RSS_MAX_KB:-65536}
INDEX_RSS_MAX_KB=49152
# Sanitizers multiply memory (shadow, redzones, quarantine): the bounds hold for the normal build.
if [[ "${LADE_TEST_CFLAGS:-}" == *sanitize* ]]; then RSS_MAX_KB=$((1 << 30)); INDEX_RSS_MAX_KB=$((1 << 30)); fi

mark() { sleep 0.01; touch "$WORK/.mark"; sleep 0.01; }
# Nothing new or changed under the scratch root but the output folder and what the caller names.
nothing_outside() { # label [path-to-allow...]
  local label=$1 extra allow p
  shift
  allow=()
  for p in "$@"; do allow+=(! -path "$p" ! -path "$p/*"); done
  extra=$(find "$WORK" -newer "$WORK/.mark" ! -path "$WORK" ! -path "$WORK/.mark" ! -path "$WORK/tmp" \
    ! -path "$WORK/out" ! -path "$WORK/out/*" ! -name '*.log' "${allow[@]}" -print)
  [ -z "$extra" ] || fail "$label: written outside the output folder: $extra"
  [ -z "$(ls -A "$WORK/tmp")" ] || fail "$label: temporaries left in \$TMPDIR: $(ls -A "$WORK/tmp")"
}
# Run lade under /usr/bin/time and a deadline; it must fail with the pattern, within the memory bound.
refused() { # label pattern -- command...
  local label=$1 pattern=$2 rc=0 rss
  shift 3
  timeout "${DEADLINE:-60}" /usr/bin/time -f '%M' -o "$WORK/rss.log" "$@" > "$WORK/out.log" 2> "$WORK/err.log" || rc=$?
  [ "$rc" != 124 ] || fail "$label: still running after ${DEADLINE:-60} s"
  [ "$rc" = 1 ] || fail "$label: exit $rc, wanted 1 ($(cat "$WORK/err.log"))"
  grep -Eq -- "$pattern" "$WORK/err.log" || fail "$label: said '$(grep -v '^Command' "$WORK/err.log")', wanted /$pattern/"
  rss=$(tail -1 "$WORK/rss.log")
  [ "$rss" -le "$RSS_MAX_KB" ] || fail "$label: peak RSS $rss KiB over $RSS_MAX_KB"
}

python3 - "$WORK" "$HARNESS_DIR" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from fixtures import tar_bytes

def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
    open(f"{layout}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}

def layout(name, manifest_text=None, layers=(), annotations=()):
    """An OCI layout with one manifest tagged v1; manifest_text (str) is written as is when given."""
    root = f"{work}/{name}"
    os.makedirs(root, exist_ok=True)
    open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    config = blob(root, b"{}")
    if manifest_text is None:
        descs = []
        for data, ann in zip(layers, annotations):
            d = blob(root, data)
            d["mediaType"] = ann.pop("mediaType", "application/octet-stream")
            d["annotations"] = ann
            descs.append(d)
        manifest_text = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                    "artifactType": "application/x-test",
                                    "config": dict(config, mediaType="application/vnd.oci.empty.v1+json"),
                                    "layers": descs})
    m = blob(root, manifest_text.encode())
    index = {"schemaVersion": 2, "manifests": [dict(m, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                    annotations={"org.opencontainers.image.ref.name": "v1"})]}
    open(f"{root}/index.json", "w").write(json.dumps(index))
    return root

def folder_layout(name, entries, title="d"):
    raw = tar_bytes(entries)
    layout(name, layers=[gzip.compress(raw, mtime=0)],
           annotations=[{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                         "org.opencontainers.image.title": title, "io.deis.oras.content.unpack": "true",
                         "io.deis.oras.content.digest": "sha256:" + hashlib.sha256(raw).hexdigest()}])

D = {"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755}
SYM, LNK = tarfile.SYMTYPE, tarfile.LNKTYPE
# The issue's chain: s -> ., then a link that climbs through it.
folder_layout("chain", [D, {"name": "d/s", "type": SYM, "link": "."},
                        {"name": "d/escape", "type": SYM, "link": "s/s/s/s/s/s/../../../../.."}])
# A link that is inside when made and leads out once a later link exists.
folder_layout("late", [D, {"name": "d/a", "type": SYM, "link": "y/../.."},
                       {"name": "d/y", "type": SYM, "link": "."}])
folder_layout("late2", [D, {"name": "d/a", "type": SYM, "link": "y/.."}, {"name": "d/y", "type": SYM, "link": "."}])
# Hard links whose target path passes through symlinks, or names a link.
folder_layout("hardchain", [D, {"name": "d/s", "type": SYM, "link": "."}, {"name": "d/f", "data": b"x"},
                            {"name": "d/h", "type": LNK, "link": "d/s/s/f"}])
folder_layout("hardtolink", [D, {"name": "d/s", "type": SYM, "link": "."},
                             {"name": "d/h", "type": LNK, "link": "d/s"}])
folder_layout("hardup", [D, {"name": "d/h", "type": LNK, "link": "d/../../outside-file"}])
# Links that loop forever.
folder_layout("loop", [D, {"name": "d/a", "type": SYM, "link": "b"}, {"name": "d/b", "type": SYM, "link": "a"},
                       {"name": "d/c", "type": SYM, "link": "a/x"}])
# Safe links still work: inside, relative, through other links.
folder_layout("safe", [D, {"name": "d/sub", "type": tarfile.DIRTYPE, "mode": 0o755},
                       {"name": "d/sub/f", "data": b"hello"}, {"name": "d/s", "type": SYM, "link": "sub"},
                       {"name": "d/l", "type": SYM, "link": "s/f"}, {"name": "d/sub/up", "type": SYM, "link": "../s/f"},
                       {"name": "d/h", "type": LNK, "link": "d/sub/f"}])
# 4 MiB of zeros in a few KiB: over --max-unpack-size 1M; and too many entries.
folder_layout("bomb", [D, {"name": "d/zeros", "data": bytes(4 << 20)}])
folder_layout("entries", [D] + [{"name": f"d/f{i}", "data": b"x"} for i in range(10)])

# Names with a NUL in them, from the manifest's JSON.
def titled(name, title_json):
    root = f"{work}/{name}"
    os.makedirs(root, exist_ok=True)
    config = blob(root, b"{}")
    layer = blob(root, b"hello")
    text = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
            '"artifactType":"application/x-test","config":{"mediaType":"application/vnd.oci.empty.v1+json",'
            f'"digest":"{config["digest"]}","size":2}},"layers":[{{"mediaType":"text/plain",'
            f'"digest":"{layer["digest"]}","size":5,"annotations":{{"org.opencontainers.image.title":{title_json}}}}}]}}')
    layout(name, manifest_text=text)
titled("nultitle", '"hel\\u0000lo.txt"')
titled("okescape", '"back\\\\u0000slash.txt"')  # an escaped backslash, then text: a fine name

# A Helm config whose version hides a path after a NUL.
root = f"{work}/nulhelm"
os.makedirs(root, exist_ok=True)
chart = gzip.compress(tar_bytes([{"name": "x/Chart.yaml", "data": b"apiVersion: v2\nname: x\nversion: 1.0.0\n"}]))
cfg_text = b'{"name":"x","version":"1.0.0\\u0000../../x","apiVersion":"v2"}'
cfg, layer = blob(root, cfg_text), blob(root, chart)
text = json.dumps({"schemaVersion": 2, "config": dict(cfg, mediaType="application/vnd.cncf.helm.config.v1+json"),
                   "layers": [dict(layer, mediaType="application/vnd.cncf.helm.chart.content.v1.tar+gzip")]})
layout("nulhelm", manifest_text=text)

# Chart.yaml bombs: billion laughs, 100,000-deep nesting, a NUL in the version.
def helm_chart(name, chart_yaml):
    open(f"{work}/{name}", "wb").write(gzip.compress(tar_bytes([{"name": "evil/Chart.yaml", "data": chart_yaml}])))
base = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"
laughs = b"a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
    b"a%d: &a%d [%s]\n" % (i, i, b",".join([b"*a%d" % (i - 1)] * 10)) for i in range(1, 9))
helm_chart("laughs.tgz", base + laughs + b"dependencies:\n- name: x\n  repository: r\n  import-values: [*a8]\n")
helm_chart("deep.tgz", base + b"x: " + b"[" * 100000 + b"]" * 100000 + b"\n")
helm_chart("mapdeep.tgz", base + b"x: " + b"{a: " * 20000 + b"1" + b"}" * 20000 + b"\n")
helm_chart("nulversion.tgz", b'apiVersion: v2\nname: evil\nversion: "1.0.0\\0../../x"\n')
# Quadratic traps: many anchors all aliased from the first, many chart annotations and dependencies.
helm_chart("anchors.tgz", base + b"keywords:\n" + b"".join(b"- &a%d x\n" % i for i in range(90000)) +
           b"sources:\n" + b"- *a0\n" * 90000)
helm_chart("manyann.tgz", base + b"annotations:\n" + b"".join(b"  k%06d: v\n" % i for i in range(90000)))
helm_chart("manydeps.tgz", base + b"dependencies:\n" + b"".join(b"- {name: d%d}\n" % i for i in range(30000)))
# A manifest with 200,000 annotations (2.6 MB, under the 4 MiB cap).
layout("manyannotations", manifest_text=json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/x-test",
    "config": dict(blob(f"{work}/manyannotations", b"{}"), mediaType="application/vnd.oci.empty.v1+json"),
    "layers": [dict(blob(f"{work}/manyannotations", b"small\n"), mediaType="text/plain",
                    annotations={"org.opencontainers.image.title": "small.txt"})],
    "annotations": {"k%06d" % i: "" for i in range(200000)}}))

# A wasm component with 20 import sections of 100,000 imports each (10 MB).
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
imports = leb(100000) + b"\x00\x01a\x01\x00" * 100000
section = b"\x0a" + leb(len(imports)) + imports
open(f"{work}/imports.wasm", "wb").write(b"\0asm\x0d\x00\x01\x00" + section * 20)
# A count that lies: a million imports claimed in a 10-byte section.
lie = leb(1000000) + b"\x00\x01a\x01\x00"
open(f"{work}/lie.wasm", "wb").write(b"\0asm\x0d\x00\x01\x00" + b"\x0a" + leb(len(lie)) + lie)
# A NUL inside an import name.
nul = leb(1) + b"\x00\x03a\x00b\x01\x00"
open(f"{work}/nulname.wasm", "wb").write(b"\0asm\x0d\x00\x01\x00" + b"\x0a" + leb(len(nul)) + nul)
PY

# ---------- escapes from the output folder ----------
pull_refused() { # layout pattern [extra pull options]
  local name=$1 pattern=$2
  shift 2
  rm -rf out && mkdir out && mark
  refused "$name" "$pattern" -- "$LADE" pull --oci-layout "$WORK/$name:v1" -o out "$@"
  [ -z "$(ls -A out)" ] || fail "$name: something was left in the output folder: $(ls -A out)"
  nothing_outside "$name"
}
pull_refused chain "refusing link 'd/escape': its target 's/s/s/s/s/s/\.\./\.\./\.\./\.\./\.\.' leads outside"
pull_refused late "refusing link 'd/a': its target 'y/\.\./\.\.' leads outside"
pull_refused late2 "refusing link 'a': its target 'y/\.\.' leads outside"
pull_refused hardchain "refusing hard link 'd/h': 's' is a symlink, not a folder"
pull_refused hardtolink "refusing hard link 'd/h': its target is not a file in the folder"
pull_refused hardup "refusing hard link 'd/h'.*'\.\.' in its path"
pull_refused loop "more than 40 links"
pass "symlink chains, links that lead out through later links, hard links through or to links, and link loops are refused; nothing written anywhere"

rm -rf out && mkdir out && mark
"$LADE" pull --oci-layout "$WORK/safe:v1" -o out > /dev/null 2> err.log || fail "safe folder: $(cat err.log)"
[ "$(cat out/d/l)" = hello ] && [ "$(cat out/d/sub/up)" = hello ] && [ "$(cat out/d/h)" = hello ] ||
  fail "safe links do not lead to the file"
[ "$(stat -c %i out/d/h)" = "$(stat -c %i out/d/sub/f)" ] || fail "the hard link is not a hard link"
nothing_outside safe
pass "links that stay inside, through other links, and hard links to unpacked files still work"

# Titles that would land through a symlink the user already has in the output folder.
rm -rf out && mkdir -p out/real && ln -s real out/inside && ln -s "$WORK/elsewhere" out/away && ln -s . out/s
mkdir -p elsewhere
python3 - "$WORK" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
root = f"{work}/titles"
os.makedirs(f"{root}/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{root}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
manifests = []
for tag, title in [("in", "inside/f.txt"), ("away", "away/new/f.txt"), ("chain", "s/s/s/../f.txt")]:
    layer = blob(b"hello")
    m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "artifactType": "application/x-test",
                         "config": dict(blob(b"{}"), mediaType="application/vnd.oci.empty.v1+json"),
                         "layers": [dict(layer, mediaType="text/plain",
                                         annotations={"org.opencontainers.image.title": title})]}).encode())
    manifests.append(dict(m, mediaType="application/vnd.oci.image.manifest.v1+json",
                          annotations={"org.opencontainers.image.ref.name": tag}))
open(f"{root}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": manifests}))
PY
mark
"$LADE" pull --oci-layout "$WORK/titles:in" -o out > /dev/null || fail "a title through a symlink inside was refused"
[ "$(cat out/real/f.txt)" = hello ] || fail "the title did not land in the linked folder"
refused away "a symlink leads outside the output folder" -- "$LADE" pull --oci-layout "$WORK/titles:away" -o out
# Titles are cleaned as paths first (as ORAS's filepath.Clean does): s/s/s/../f.txt is s/s/f.txt, which is f.txt.
"$LADE" pull --oci-layout "$WORK/titles:chain" -o out > /dev/null || fail "the cleaned chain title was refused"
[ "$(cat out/f.txt)" = hello ] || fail "the chain title did not land at out/f.txt"
[ -z "$(ls -A elsewhere)" ] || fail "a folder was made outside before the title was refused: $(ls -A elsewhere)"
nothing_outside "titles"
pass "titles land through symlinks that stay inside, are cleaned before they are placed, and are refused, before any folder is made, through ones that lead out"

# ---------- names with NUL ----------
rm -rf out && mkdir out && mark
refused nultitle "manifest holds a NUL character" -- "$LADE" pull --oci-layout "$WORK/nultitle:v1" -o out
refused nulhelm "Helm config holds a NUL character" -- "$LADE" pull --oci-layout "$WORK/nulhelm:v1" -o out
[ -z "$(ls -A out)" ] || fail "a NUL name wrote $(ls -A out)"
"$LADE" pull --oci-layout "$WORK/okescape:v1" -o out > /dev/null || fail "an escaped backslash before u0000 was refused"
[ -f 'out/back\u0000slash.txt' ] || fail "the escaped-backslash title was not written as is: $(ls out)"
refused nulversion "Chart.yaml: a string holds a NUL character" -- "$LADE" push --oci-layout "$WORK/s:1" nulversion.tgz
refused nulname "cannot read the component's import section" -- "$LADE" push --oci-layout "$WORK/s:2" nulname.wasm
printf '{"data.txt":{"org.opencontainers.image.title":"a\\u0000b"}}' > nul-annotations.json
echo data > data.txt
refused nulannotation "holds a NUL character" -- "$LADE" push --oci-layout "$WORK/s:3" data.txt --annotation-file nul-annotations.json
nothing_outside "nul" "$WORK/s" "$WORK/nul-annotations.json" "$WORK/data.txt"
pass "strings with NUL from JSON, YAML or a wasm name are refused wherever they would become names"

# ---------- memory and time bombs ----------
mark
refused laughs "Chart.yaml: too many aliases" -- "$LADE" push --oci-layout "$WORK/s:3" laughs.tgz
refused deep "Chart.yaml: nesting too deep" -- "$LADE" push --oci-layout "$WORK/s:4" deep.tgz
refused mapdeep "Chart.yaml: nesting too deep" -- "$LADE" push --oci-layout "$WORK/s:5" mapdeep.tgz
refused imports "over 10000 imports and exports" -- "$LADE" push --oci-layout "$WORK/s:6" imports.wasm
refused lie "cannot read the component's import section" -- "$LADE" push --oci-layout "$WORK/s:7" lie.wasm
python3 -c 'import os; os.makedirs("deeptree/" + "/".join(["a"] * 700))'
refused deeptree "more than 128 folders deep" -- "$LADE" push --oci-layout "$WORK/s:8" deeptree
nothing_outside "bombs" "$WORK/s" "$WORK/deeptree"
pass "YAML billion laughs, 100,000-deep YAML, a million wasm imports, lying counts and a 700-deep folder stop early, in bounded memory"

# Inputs that cost quadratic time when looked up in a line: each must finish in seconds.
# (Looked up in a line they took 57 s, 40 s and over 5 minutes; indexed, under a second each.)
quick() { # label -- command...: succeeds within 10 s
  local label=$1 rc=0
  shift 2
  timeout 10 "$@" > "$WORK/out.log" 2> "$WORK/err.log" || rc=$?
  [ "$rc" != 124 ] || fail "$label: still running after 10 s"
  [ "$rc" = 0 ] || fail "$label: exit $rc ($(cat "$WORK/err.log"))"
}
DEADLINE=10 refused anchors "Chart.yaml: too many aliases" -- "$LADE" push --oci-layout "$WORK/q:1" anchors.tgz
quick manyann -- "$LADE" push --oci-layout "$WORK/q:2" manyann.tgz
quick manydeps -- "$LADE" push --oci-layout "$WORK/q:3" manydeps.tgz
rm -rf out && quick manyannotations -- "$LADE" pull --oci-layout "$WORK/manyannotations:v1" -o out
[ "$(cat out/small.txt)" = small ] || fail "manyannotations: small.txt not written"
pass "90,000 aliases of one anchor, 90,000 chart annotations, 30,000 dependencies, 200,000 manifest annotations: seconds, not minutes"

pull_refused bomb "unpacks to more than 1048576 bytes \(the limit\)" --max-unpack-size 1M
grep -q -- "--max-unpack-size sets a higher limit" err.log || fail "no hint at --max-unpack-size: $(cat err.log)"
pull_refused entries "more than 5 entries \(the limit\)" --max-unpack-entries 5
rm -rf out && mkdir out
"$LADE" pull --oci-layout "$WORK/bomb:v1" -o out > /dev/null || fail "a 4 MiB folder is within the default limit"
pass "unpacking stops at --max-unpack-size and --max-unpack-entries; the default lets ordinary folders through"

# ---------- FIFOs, devices and symlinked layout folders ----------
mkfifo fifo-input
refused fifo-input "'fifo-input' is a FIFO|not a regular file" -- "$LADE" push --oci-layout "$WORK/s:8" fifo-input
refused dev-input "is a device|not a regular file" -- "$LADE" push --oci-layout "$WORK/s:9" /dev/zero
cp -r safe fifo-index && rm fifo-index/index.json && mkfifo fifo-index/index.json
refused fifo-index "index.json' is a FIFO" -- "$LADE" pull --oci-layout "$WORK/fifo-index:v1" -o out
cp -r nultitle fifo-manifest
m=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' fifo-manifest/index.json)
rm "fifo-manifest/blobs/sha256/$m" && mkfifo "fifo-manifest/blobs/sha256/$m"
refused fifo-manifest "is a FIFO" -- "$LADE" pull --oci-layout "$WORK/fifo-manifest:v1" -o out
cp -r okescape fifo-layer
l=$(printf hello | sha256sum | cut -d' ' -f1)
rm "fifo-layer/blobs/sha256/$l" && mkfifo "fifo-layer/blobs/sha256/$l"
rm -rf out && mkdir out
refused fifo-layer "is a FIFO" -- "$LADE" pull --oci-layout "$WORK/fifo-layer:v1" -o out
pass "a FIFO or device as input, index.json, manifest or layer blob is refused at once, never read"

mkdir -p elsewhere-blobs && cp -r safe linked && mv linked/blobs/* elsewhere-blobs/ && rmdir linked/blobs &&
  ln -s "$WORK/elsewhere-blobs" linked/blobs
echo data > data.txt
mark
refused linked-push "'blobs' is a symlink" -- "$LADE" push --oci-layout "$WORK/linked:v2" data.txt
refused linked-pull "'blobs' is a symlink" -- "$LADE" pull --oci-layout "$WORK/linked:v1" -o out
nothing_outside "linked blobs"
pass "a layout whose blobs/ is a symlink is refused; nothing is written through it"
# An index.json of 100,000 tags (28 MB) is read one entry at a time: bounded by its text, not a tree ten times it.
python3 - "$WORK/safe/index.json" <<'PY'
import json, sys
ix = json.load(open(sys.argv[1]))
e = ix["manifests"][0]
ix["manifests"] = [dict(e, annotations={"org.opencontainers.image.ref.name": f"t{i}"}) for i in range(100000)] + [e]
open(sys.argv[1], "w").write(json.dumps(ix))
PY
/usr/bin/time -f '%M' -o rss.log "$LADE" resolve --oci-layout "$WORK/safe:t99999" > /dev/null || fail "resolve in a big index.json"
[ "$(tail -1 rss.log)" -le "$INDEX_RSS_MAX_KB" ] || fail "resolving in a 100,000-tag index.json took $(tail -1 rss.log) KiB"
/usr/bin/time -f '%M' -o rss.log "$LADE" push --oci-layout "$WORK/safe:new" data.txt > /dev/null || fail "tag in a big index.json"
[ "$(tail -1 rss.log)" -le "$INDEX_RSS_MAX_KB" ] || fail "tagging in a 100,000-tag index.json took $(tail -1 rss.log) KiB"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$WORK/safe/index.json")
[ "$n" = 100002 ] || fail "the retagged index.json has $n entries, not 100002"
pass "a 100,000-tag index.json resolves and takes a tag within 48 MiB, every other entry kept"
echo "hostile: all passed"
