#!/usr/bin/env bash
# Push and pull one large file with lade, with curl and with skopeo against
# the same docker-registry on 127.0.0.1 in one run; print wall-time ratios
# and peak RSS. Not a timed test: it reports, it does not fail on numbers.
#
#   LADE=build/cmd/lade tests/bench/bench.sh            # 1 GiB, median of 5
#   SIZE_MB=256 RUNS=1 LADE=build/cmd/lade tests/bench/bench.sh
#
# curl's push is what a careful shell script does: `openssl dgst -sha256`,
# then POST for an upload URL and `PUT -T` of the file. curl's pull is a GET
# to a file followed by `openssl dgst`. skopeo copies a one-layer OCI layout
# (--preserve-digests), with its blob-info cache removed before each run.
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
command -v skopeo > /dev/null || { echo "skopeo is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }

start_registry plain
cd "$WORK"
echo "creating a ${SIZE_MB} MiB random file..." >&2
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > big.bin
"$LADE" push --oci-layout "$WORK/src:v1" big.bin > /dev/null   # skopeo's source
SKOPEO_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb

curl_push() { # repo
  local digest loc
  digest=sha256:$(openssl dgst -sha256 -r big.bin | cut -d' ' -f1)
  loc=$(curl -s -D - -o /dev/null -X POST -H 'Content-Length: 0' "http://$REGISTRY/v2/$1/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  curl -s -f -o /dev/null -T big.bin -H 'Content-Type: application/octet-stream' "$loc&digest=$digest"
}
curl_pull() { # repo digest
  curl -s -f -o curl-pulled.bin "http://$REGISTRY/v2/$1/blobs/$2"
  openssl dgst -sha256 curl-pulled.bin > /dev/null
}
export -f curl_push curl_pull
export REGISTRY

digest=sha256:$(sha256sum big.bin | cut -d' ' -f1)
for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS..." >&2
  measure curl_push bash -c "curl_push bench/curl$run"
  measure lade_push "$LADE" push --plain-http "$REGISTRY/bench/lade$run:v1" big.bin
  rm -f "$SKOPEO_CACHE"
  measure skopeo_push skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$WORK/src:v1" \
    "docker://$REGISTRY/bench/skopeo$run:v1"
  rm -rf lade-out curl-pulled.bin skopeo-out
  measure curl_pull bash -c "curl_pull bench/curl$run $digest"
  measure lade_pull "$LADE" pull --plain-http "$REGISTRY/bench/lade$run:v1" -o lade-out
  cmp -s lade-out/big.bin big.bin || { echo "lade pulled other bytes" >&2; exit 1; }
  rm -f "$SKOPEO_CACHE"
  measure skopeo_pull skopeo copy --quiet --src-tls-verify=false "docker://$REGISTRY/bench/skopeo$run:v1" \
    "oci:$WORK/skopeo-out:v1"
  rm -rf lade-out curl-pulled.bin skopeo-out
done

printf '\n%s MiB, %s run(s), medians; peak RSS in MiB\n' "$SIZE_MB" "$RUNS"
table curl_push lade_push skopeo_push curl_pull lade_pull skopeo_pull
printf '\nlade push / curl (dgst + POST + PUT -T): %s   (target <= 1.10)\n' "$(ratio lade_push curl_push)"
printf 'lade pull / curl (GET + dgst):           %s   (target <= 1.00)\n' "$(ratio lade_pull curl_pull)"
printf 'lade push / skopeo push:                 %s   (target < 1)\n' "$(ratio lade_push skopeo_push)"
printf 'lade pull / skopeo pull:                 %s   (target < 1)\n' "$(ratio lade_pull skopeo_pull)"
printf 'lade peak RSS: push %.1f MiB, pull %.1f MiB   (target <= 16)\n' \
  "$(echo "$(col lade_push 2) / 1024" | bc -l)" "$(echo "$(col lade_pull 2) / 1024" | bc -l)"
