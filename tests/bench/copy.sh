#!/usr/bin/env bash
# Copy a one-layer image of SIZE_MB (1 GiB by default) from one
# docker-registry to another (two processes, so no mount can apply) with
# lade copy, with curl (GET piped into a POST + PUT of the stream, the
# digest known beforehand) and with skopeo copy, in one run; print the
# wall-time ratios and peak RSS. Not a timed test: it reports.
#
#   LADE=build/cmd/lade tests/bench/copy.sh           # 1 GiB, median of 3
#   SIZE_MB=256 RUNS=1 tests/bench/copy.sh
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
command -v skopeo > /dev/null || { echo "skopeo is needed" >&2; exit 1; }
start_registry plain
FROM=$REGISTRY
start_registry plain
TO=$REGISTRY
cd "$WORK"
echo "creating and pushing a ${SIZE_MB} MiB layer..." >&2
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom | gzip -1 > layer.gz 2> /dev/null || true
"$LADE" push --plain-http "$FROM/bench/src:v1" layer.gz:application/vnd.oci.image.layer.v1.tar+gzip > /dev/null
layer=sha256:$(sha256sum layer.gz | cut -d' ' -f1)
size=$(stat -c %s layer.gz)
SKOPEO_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb

curl_copy() { # repo: the layer streamed GET -> PUT, then the config and the manifest
  local loc
  loc=$(curl -s -D - -o /dev/null -X POST -H 'Content-Length: 0' "http://$TO/v2/$1/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  curl -s -f "http://$FROM/v2/bench/src/blobs/$layer" |
    curl -s -f -o /dev/null -T - -H 'Content-Type: application/octet-stream' "$loc&digest=$layer"
}
export -f curl_copy
export FROM TO layer

for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS..." >&2
  measure curl_copy bash -c "curl_copy bench/curl$run"
  measure lade_copy "$LADE" copy --plain-http "$FROM/bench/src:v1" "$TO/bench/lade$run:v1"
  rm -f "$SKOPEO_CACHE"
  measure skopeo_copy skopeo copy --quiet --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$FROM/bench/src:v1" "docker://$TO/bench/skopeo$run:v1"
done
[ "$("$LADE" resolve --plain-http "$TO/bench/lade1:v1")" = "$("$LADE" resolve --plain-http "$FROM/bench/src:v1")" ] ||
  { echo "lade copy changed the manifest's digest" >&2; exit 1; }

printf '\n%s MiB layer (%s bytes gzip), %s run(s), medians; peak RSS in MiB\n' "$SIZE_MB" "$size" "$RUNS"
table curl_copy lade_copy skopeo_copy
printf '\nlade copy / curl (GET | PUT of the layer alone): %s   (target <= 1.10)\n' "$(ratio lade_copy curl_copy)"
printf 'lade copy / skopeo copy:                        %s   (target < 1)\n' "$(ratio lade_copy skopeo_copy)"
