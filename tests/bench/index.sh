#!/usr/bin/env bash
# Copy a multi-arch image index (PLATFORMS images of one LAYER_MB layer
# and one small one each, built here from random bytes) with lade copy and
# with skopeo copy --all, in one run: registry -> registry (two registry
# processes, so nothing is mounted) and registry -> OCI layout. Then the
# index against one of its images, with every transfer held to RATE (as a
# far registry holds a connection) and --concurrency PLATFORMS: the blobs
# of all the manifests move at once, so the index should take about the
# time of one image. Prints the medians, the ratios and peak RSS. Not a
# timed test: it reports.
#
#   tests/bench/index.sh                     8 platforms x 25 MiB, RUNS=3
#   PLATFORMS=20 LAYER_MB=10 RUNS=1 tests/bench/index.sh
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
PLATFORMS=${PLATFORMS:-8}
LAYER_MB=${LAYER_MB:-25}
RATE=${RATE:-4M}
command -v skopeo > /dev/null || { echo "skopeo is needed" >&2; exit 1; }
start_registry plain
FROM=$REGISTRY
start_registry plain
TO=$REGISTRY
cd "$WORK"
echo "building an index of $PLATFORMS platforms x $LAYER_MB MiB..." >&2
python3 - "$WORK/src" "$PLATFORMS" "$LAYER_MB" "$HARNESS_DIR" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[4])
from fixtures import Layout, gzip_tar
out, count, mb = Layout(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
gz = "application/vnd.oci.image.layer.v1.tar+gzip"
arches = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64", "mipsle"]
manifests = []
for i in range(count):
    arch, variant = arches[i % len(arches)], f"v{i // len(arches) + 1}"
    manifests.append(out.image({"architecture": arch, "os": "linux", "variant": variant},
                               [out.put(gzip_tar("big.bin", os.urandom(mb << 20), level=1), gz),
                                out.put(gzip_tar("etc/os", f"{arch} {variant}\n".encode()), gz)]))
out.index(manifests, "multi")
PY
"$LADE" copy --from-oci-layout "$WORK/src:multi" --to-plain-http "$FROM/bench/multi" > /dev/null
SKOPEO_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb
for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS..." >&2
  measure lade_reg "$LADE" copy --plain-http "$FROM/bench/multi:multi" "$TO/bench/lade$run:multi"
  rm -f "$SKOPEO_CACHE"
  measure skopeo_reg skopeo copy --all --quiet --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$FROM/bench/multi:multi" "docker://$TO/bench/skopeo$run:multi"
  rm -rf lade-out skopeo-out
  measure lade_layout "$LADE" copy --plain-http "$FROM/bench/multi:multi" --to-oci-layout "$WORK/lade-out:multi"
  rm -f "$SKOPEO_CACHE"
  measure skopeo_layout skopeo copy --all --quiet --preserve-digests --src-tls-verify=false \
    "docker://$FROM/bench/multi:multi" "oci:$WORK/skopeo-out:multi"
  measure lade_one_slow "$LADE" copy --plain-http --limit-rate "$RATE" --platform linux/amd64/v1 \
    "$FROM/bench/multi:multi" "$TO/bench/one$run:multi"
  measure lade_all_slow "$LADE" copy --plain-http --limit-rate "$RATE" --concurrency "$PLATFORMS" \
    "$FROM/bench/multi:multi" "$TO/bench/all$run:multi"
done
[ "$("$LADE" resolve --plain-http "$TO/bench/lade1:multi")" = "$("$LADE" resolve --plain-http "$FROM/bench/multi:multi")" ] ||
  { echo "lade copy changed the index's digest" >&2; exit 1; }

printf '\n%s platforms x %s MiB, %s run(s), medians; peak RSS in MiB\n' "$PLATFORMS" "$LAYER_MB" "$RUNS"
table lade_reg skopeo_reg lade_layout skopeo_layout lade_one_slow lade_all_slow
printf '\nlade / skopeo copy --all, registry -> registry: %s   (target < 1)\n' "$(ratio lade_reg skopeo_reg)"
printf 'lade / skopeo copy --all, registry -> layout:   %s   (target < 1)\n' "$(ratio lade_layout skopeo_layout)"
printf 'the index / one of its images, each transfer at %s/s: %s   (target about 1)\n' "$RATE" \
  "$(ratio lade_all_slow lade_one_slow)"
