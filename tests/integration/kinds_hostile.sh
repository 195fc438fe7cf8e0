#!/usr/bin/env bash
# Hostile and broken artifacts of every kind are refused with a clear
# message, and nothing is written outside (or, for a refused folder, inside)
# the output folder.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
mkdir -p out outside

python3 - "$WORK" "$HARNESS_DIR" <<'PY'
import gzip, hashlib, io, json, os, tarfile, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from fixtures import tar_bytes

chart_yaml = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"
def chart(name, entries):
    open(f"{work}/{name}", "wb").write(gzip.compress(tar_bytes(entries), mtime=0))

chart("dotdot.tgz", [{"name": "evil/Chart.yaml", "data": chart_yaml}, {"name": "evil/../../x", "data": b"x"}])
chart("noversion.tgz", [{"name": "evil/Chart.yaml", "data": b"apiVersion: v2\nname: evil\n"}])
chart("badversion.tgz", [{"name": "evil/Chart.yaml", "data": b"apiVersion: v2\nname: evil\nversion: 1.2.3.4\n"}])
chart("toplevel.tgz", [{"name": "Chart.yaml", "data": b"apiVersion: v2\nname: other\nversion: 1.0.0\n"}])
# 101 MiB of zeros: a few hundred KiB compressed, over Helm's 100 MiB limit unpacked.
big = bytes(5 * 1024 * 1024 - 1)
chart("bomb.tgz", [{"name": "evil/Chart.yaml", "data": chart_yaml}] +
      [{"name": f"evil/files/z{i}", "data": big} for i in range(21)])
chart("bigfile.tgz", [{"name": "evil/Chart.yaml", "data": chart_yaml},
                      {"name": "evil/huge", "data": bytes(6 * 1024 * 1024)}])

# Folder artifacts a hostile pusher could make, each with ORAS's annotations.
folders = {
    "abs": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755}, {"name": "/etc/evil", "data": b"x"}],
    "outside": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755}, {"name": "other/x", "data": b"x"}],
    "dotdot": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755}, {"name": "d/../../escape", "data": b"x"}],
    "symlink": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755},
                {"name": "d/out", "type": tarfile.SYMTYPE, "link": "../../outside"}],
    "abslink": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755},
                {"name": "d/out", "type": tarfile.SYMTYPE, "link": "/etc"}],
    "through": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755},
                {"name": "d/ok", "type": tarfile.SYMTYPE, "link": "."},
                {"name": "d/ok/x", "data": b"x"}],
    "hardlink": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755},
                 {"name": "d/passwd", "type": tarfile.LNKTYPE, "link": "/etc/passwd"}],
    "device": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755},
               {"name": "d/null", "type": tarfile.CHRTYPE}],
    "fifo": [{"name": "d", "type": tarfile.DIRTYPE, "mode": 0o755}, {"name": "d/pipe", "type": tarfile.FIFOTYPE}],
}
for name, entries in folders.items():
    raw = tar_bytes(entries)
    open(f"{work}/f-{name}.tgz", "wb").write(gzip.compress(raw))
    json.dump({f"f-{name}.tgz": {"org.opencontainers.image.title": "d", "io.deis.oras.content.unpack": "true",
                                 "io.deis.oras.content.digest": "sha256:" + hashlib.sha256(raw).hexdigest()}},
              open(f"{work}/f-{name}.json", "w"))
PY

# ---------- Helm charts refused at push ----------
expect_fail 1 "climbs out with '\.\.'" -- "$LADE" push --oci-layout "$WORK/s:1" dotdot.tgz
expect_fail 1 "has no version" -- "$LADE" push --oci-layout "$WORK/s:2" noversion.tgz
expect_fail 1 "'1.2.3.4' is not a semantic version" -- "$LADE" push --oci-layout "$WORK/s:3" badversion.tgz
expect_fail 1 "outside the chart's folder" -- "$LADE" push --kind helm --oci-layout "$WORK/s:4" toplevel.tgz
expect_fail 1 "over Helm's 100 MiB limit" -- "$LADE" push --oci-layout "$WORK/s:5" bomb.tgz
expect_fail 1 "over Helm's 5 MiB limit" -- "$LADE" push --oci-layout "$WORK/s:6" bigfile.tgz
[ ! -e "$WORK/s/index.json" ] || ! grep -q ref.name "$WORK/s/index.json" || fail "a refused chart was tagged"
pass "charts with ../ entries, no version, a version Helm refuses, Chart.yaml outside a folder, or over Helm's limits are refused"

# ---------- wasm refused at push ----------
printf '\0asm\1\0\0\0\1\100' > truncated.wasm    # a type section that claims 64 bytes and has none
printf '\0asm\1\0' > short.wasm
expect_fail 1 "truncated" -- "$LADE" push --oci-layout "$WORK/s:7" truncated.wasm
expect_fail 1 "shorter than the 8-byte header" -- "$LADE" push --oci-layout "$WORK/s:8" short.wasm
printf '\0asm\1\0\7\0' > badlayer.wasm
expect_fail 1 "unknown layer" -- "$LADE" push --oci-layout "$WORK/s:9" badlayer.wasm
pass "truncated and malformed wasm is refused"

# ---------- hostile folders refused at pull ----------
check_folder() { # name pattern
  "$LADE" push --oci-layout "$WORK/f:$1" "f-$1.tgz:application/vnd.oci.image.layer.v1.tar+gzip" \
    --annotation-file "f-$1.json" > /dev/null || fail "could not stage $1"
  rm -rf out && mkdir out
  expect_fail 1 "$2" -- "$LADE" pull --oci-layout "$WORK/f:$1" -o out
  [ -z "$(ls -A out)" ] || fail "$1: something was left in the output folder: $(ls -A out)"
  [ -z "$(ls -A outside)" ] && [ ! -e escape ] && [ ! -e /etc/evil ] || fail "$1: something was written outside"
}
check_folder abs "absolute path"
check_folder outside "outside the folder 'd'"
check_folder dotdot "'\.\.' in its path"
check_folder symlink "leads outside the folder"
check_folder abslink "is absolute"
check_folder through "is a symlink, not a folder"
check_folder hardlink "absolute path|outside the folder"
check_folder device "not devices"
check_folder fifo "not FIFOs"
pass "folders with absolute paths, escaping entries and links, a hard link to /etc/passwd, a device or a FIFO are refused; nothing written"

# ---------- the pull side of kinds ----------
printf '\0asm\1\0\0\0' > a.wasm; printf '\0asm\1\0\0\0\0\1\0' > b.wasm
"$LADE" push --oci-layout "$WORK/w:two" --kind file a.wasm:application/wasm b.wasm:application/wasm > /dev/null
"$LADE" pull --oci-layout "$WORK/w:two" -o out > two.log 2>&1 || fail "two wasm layers: $(cat two.log)"
grep -q "2 wasm layers" two.log && cmp a.wasm out/a.wasm && cmp b.wasm out/b.wasm || fail "two titled wasm layers: $(ls out)"
pass "a wasm artifact with more than one wasm layer is read with a warning, titled layers by their titles"

# Legacy media types are still read: Helm's application/tar+gzip (with a warning), wasm-to-oci's.
mkdir -p legacy/old && printf 'apiVersion: v2\nname: old\nversion: 2.0.0\n' > legacy/old/Chart.yaml
(cd legacy && tar -czf ../old-2.0.0.tgz old/Chart.yaml)
printf '{"name":"old","version":"2.0.0","apiVersion":"v2"}' > old-config.json
"$LADE" push --oci-layout "$WORK/legacy:helm" --kind file old-2.0.0.tgz:application/tar+gzip \
  --config old-config.json:application/vnd.cncf.helm.config.v1+json > /dev/null
rm -rf legacy-out && "$LADE" pull --oci-layout "$WORK/legacy:helm" -o legacy-out > legacy.out 2> legacy.err ||
  fail "legacy helm pull: $(cat legacy.err)"
grep -q "Warning: chart media type application/tar+gzip is deprecated" legacy.err || fail "no deprecation warning"
cmp old-2.0.0.tgz legacy-out/old-2.0.0.tgz || fail "legacy chart differs"
printf '\0asm\1\0\0\0' > legacy.wasm
echo '{}' > empty.json
"$LADE" push --oci-layout "$WORK/legacy:wasm" --kind file legacy.wasm:application/vnd.wasm.content.layer.v1+wasm \
  --config empty.json:application/vnd.wasm.config.v1+json > /dev/null
rm -rf legacy-out && "$LADE" pull --oci-layout "$WORK/legacy:wasm" -o legacy-out > /dev/null 2> legacy.err ||
  fail "legacy wasm pull: $(cat legacy.err)"
cmp legacy.wasm legacy-out/legacy.wasm || fail "legacy wasm differs"
pass "legacy Helm and wasm-to-oci media types are read (Helm's with a warning)"
echo "kinds_hostile: all passed"
