#!/usr/bin/env bash
# Standard input of unknown size, 1 GiB, in one run against one registry:
# lade blob push - against curl streaming the same bytes in a chunked PATCH
# (hashing them on the side with openssl, then PUT ?digest=); and a
# cross-repository mount of the same 1 GiB blob through the library.
#
#   LADE=build/cmd/lade tests/bench/stdin.sh        # 1 GiB, median of 3
#   SIZE_MB=128 RUNS=1 LADE=build/cmd/lade tests/bench/stdin.sh
source "$(dirname "$0")/lib.sh"
MOUNT_CHECK=$(dirname "$LADE")/../tests/mount_check
RUNS=${RUNS:-3}
start_registry plain
cd "$WORK"
echo "creating a ${SIZE_MB} MiB random file..." >&2
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > big.bin

curl_stream() { # repo
  local loc digest
  loc=$(curl -s -D - -o /dev/null -X POST -H 'Content-Length: 0' "http://$REGISTRY/v2/$1/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  loc=$(cat big.bin | tee >(openssl dgst -sha256 -r > dgst.out) |
    curl -s -f -D - -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' -T - "$loc" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  sleep 0.05 # let the tee'd digest finish writing
  digest=sha256:$(cut -d' ' -f1 dgst.out)
  curl -s -f -o /dev/null -X PUT -H 'Content-Length: 0' "$loc&digest=$digest"
}
export -f curl_stream
export REGISTRY

measure() { # name command...
  local name=$1
  shift
  sync
  [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches
  /usr/bin/time -f '%e %M' -o "$WORK/.time" "$@" > /dev/null 2> "$WORK/.err" || { cat "$WORK/.err" >&2; exit 1; }
  cat "$WORK/.time" >> "$WORK/$name.runs"
}
for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS..." >&2
  measure curl_patch bash -c "curl_stream bench/curl$run"
  # lade reads a pipe: it cannot know the size
  measure lade_stdin bash -c "cat big.bin | /usr/bin/time -f '%M' -o '$WORK/.lade_rss' '$LADE' blob push --plain-http '$REGISTRY/bench/lade$run' -"
  cat "$WORK/.lade_rss" >> "$WORK/lade_rss.runs"
done
digest="sha256:$(sha256sum big.bin | cut -d' ' -f1)"
mount_out=$("$MOUNT_CHECK" "$REGISTRY" bench/lade1 bench/mounted "$digest" $((SIZE_MB * 1024 * 1024)))

c=$(awk '{print $1}' curl_patch.runs | median)
l=$(awk '{print $1}' lade_stdin.runs | median)
rss=$(median < lade_rss.runs)
printf '\n%s MiB from a pipe, %s run(s), medians\n' "$SIZE_MB" "$RUNS"
printf 'curl chunked PATCH + openssl dgst + PUT: %s s\n' "$c"
printf 'lade blob push -:                        %s s, peak RSS %.1f MiB\n' "$l" "$(echo "$rss / 1024" | bc -l)"
printf 'lade / curl: %s   (target <= 1.15; RSS target <= 16 MiB)\n' "$(echo "scale=3; $l / $c" | bc -l)"
printf 'mount of the %s MiB blob into another repository: %s   (uploaded must be 0)\n' "$SIZE_MB" "$mount_out"
