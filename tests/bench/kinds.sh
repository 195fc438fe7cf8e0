#!/usr/bin/env bash
# Kinds at scale, measured in one run: packing a folder (lade push of a
# folder to a layout, twice: the second push packs and finds the blob there,
# so it times packing alone) against `tar -czf` of the same tree, and the
# peak RSS of pushing a large folder and a large wasm module.
#
#   LADE=build/cmd/lade tests/bench/kinds.sh          # 1 GiB each
#   SIZE_MB=128 LADE=build/cmd/lade tests/bench/kinds.sh
source "$(dirname "$0")/lib.sh"
cd "$WORK"

echo "making a ${SIZE_MB} MiB folder (half random, half text) and a ${SIZE_MB} MiB wasm module..." >&2
files=$((SIZE_MB / 4))
for i in $(seq 1 "$files"); do
  d="tree/d$((i % 16))/e$((i % 5))"
  mkdir -p "$d"
  if [ $((i % 2)) = 0 ]; then head -c 4194304 /dev/urandom > "$d/f$i.bin"
  else head -c 3145728 /dev/urandom | base64 -w 100 > "$d/f$i.txt"; fi
done
python3 - "$SIZE_MB" <<'PY'
import sys
size = int(sys.argv[1]) * 1024 * 1024
# a core module: header, then one custom section ("pad") holding the rest
payload = size - 8 - 6 - 4
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
with open("big.wasm", "wb") as f:
    f.write(b"\0asm\1\0\0\0")
    body_len = 1 + 3 + payload
    f.write(b"\0" + leb(body_len) + b"\3pad")
    chunk = bytes(1 << 20)
    left = payload
    while left:
        n = min(left, len(chunk)); f.write(chunk[:n]); left -= n
PY

measure() {
  local name=$1
  shift
  sync
  [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches
  /usr/bin/time -f '%e %M' -o "$WORK/.time" "$@" > /dev/null 2> "$WORK/.err" || { cat "$WORK/.err" >&2; exit 1; }
  read -r secs kib < "$WORK/.time"
  printf '%s %s %s\n' "$name" "$secs" "$kib" >> "$WORK/results"
}
measure tar_czf tar -czf "$WORK/tree.tgz" tree
measure lade_dir_push "$LADE" push --oci-layout "$WORK/store:v1" tree
measure lade_dir_pack "$LADE" push --oci-layout "$WORK/store:v2" tree
measure lade_wasm_push "$LADE" push --oci-layout "$WORK/wstore:v1" big.wasm

get() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$WORK/results"; }
printf '\n%s MiB inputs; peak RSS in MiB\n' "$SIZE_MB"
printf '%-16s %9s %8s\n' what seconds rss
for n in tar_czf lade_dir_push lade_dir_pack lade_wasm_push; do
  printf '%-16s %9s %8.1f\n' "$n" "$(get $n 2)" "$(echo "$(get $n 3) / 1024" | bc -l)"
done
printf '\nfolder packing / tar -czf: %s   (target <= 1.20)\n' "$(echo "scale=3; $(get lade_dir_pack 2) / $(get tar_czf 2)" | bc -l)"
printf 'peak RSS: folder push %.1f MiB, wasm push %.1f MiB   (target <= 16)\n' \
  "$(echo "$(get lade_dir_push 3) / 1024" | bc -l)" "$(echo "$(get lade_wasm_push 3) / 1024" | bc -l)"
