#!/usr/bin/env bash
# Many lades at once on one file or folder, and lades killed with -9: 20
# concurrent logins to 20 registries all end up in one config.json (a
# symlinked one stays a link); 10 concurrent pulls of one artifact into one
# folder all succeed; a push or pull killed mid-blob leaves nothing behind
# once lade runs there again.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
start_registry basic
port=${REGISTRY##*:}

# ---------- 20 logins at once into one config.json ----------
mkdir -p docker real
ln -s ../real/config.json docker/config.json
pids=()
for i in $(seq 1 20); do
  DOCKER_CONFIG="$WORK/docker" "$LADE" login --plain-http --resolve "reg$i.test:$port:127.0.0.1" \
    -u "$REG_USER" -p "$REG_PASS" "reg$i.test:$port" > "login$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || fail "login $((i + 1)) failed: $(cat "login$((i + 1)).log")"; done
[ -L docker/config.json ] || fail "the symlinked config.json was replaced by a file"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["auths"]))' real/config.json)
[ "$n" = 20 ] || fail "20 concurrent logins left $n entries"
[ "$(stat -c %a real/config.json)" = 600 ] || fail "config.json is not 0600"
ls real | grep -q '\.lade-' && fail "a temporary was left beside config.json: $(ls real)"
pass "20 concurrent logins to 20 registries: 20 entries, through a symlinked config.json that stays a link"

# ---------- 10 pulls at once into one folder ----------
head -c $((8 * 1024 * 1024)) /dev/urandom > a.bin
head -c $((3 * 1024 * 1024)) /dev/urandom > b.bin
echo small > c.txt
"$LADE" push --plain-http -u "$REG_USER" -p "$REG_PASS" "$REGISTRY/same:v1" a.bin b.bin c.txt > /dev/null
pids=()
for i in $(seq 1 10); do
  "$LADE" pull --plain-http -u "$REG_USER" -p "$REG_PASS" "$REGISTRY/same:v1" -o shared > "pull$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || fail "pull $((i + 1)) of 10 failed: $(cat "pull$((i + 1)).log")"; done
cmp a.bin shared/a.bin && cmp b.bin shared/b.bin && cmp c.txt shared/c.txt || fail "the shared folder's files differ"
[ -z "$(find shared -name '*.lade-*')" ] || fail "temporaries left: $(find shared -name '*.lade-*')"
pass "10 concurrent pulls of one artifact into one folder: 10 successes, the files whole, no temporaries"

# ---------- kill -9, then run again ----------
head -c $((300 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > big.bin
kill_when() { # pattern-in-find-output -- command...: start it, kill -9 once a temporary shows, wait
  local where=$1 pattern=$2 pid i
  shift 3
  "$@" > /dev/null 2>&1 &
  pid=$!
  for i in $(seq 1 20000); do
    find "$where" -name "$pattern" 2> /dev/null | grep -q . && break
    kill -0 "$pid" 2> /dev/null || break
  done
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}
# A push from standard input into a layout, killed while it reads.
mkdir -p layout
( cat big.bin; sleep 30 ) | { "$LADE" push --oci-layout "$WORK/layout:s" - > /dev/null 2>&1 & echo $! > stream.pid; wait; } &
feeder=$!
for i in $(seq 1 200); do [ -n "$(find layout/ingest -name 'stream.lade-*' -size +1M 2>/dev/null)" ] && break; sleep 0.05; done
kill -9 "$(cat stream.pid)" 2> /dev/null || true
kill "$feeder" 2> /dev/null || true
wait "$feeder" 2> /dev/null || true
[ -n "$(ls layout/ingest)" ] || echo "note: the stream push was not caught mid-way" >&2
# A push of a file into the layout, killed mid-blob.
kill_when layout/ingest 'big.bin.lade-*' -- "$LADE" push --oci-layout "$WORK/layout:f" big.bin
echo again > again.txt
"$LADE" push --oci-layout "$WORK/layout:again" again.txt > /dev/null || fail "the push after kill -9 failed"
[ -z "$(ls layout/ingest)" ] || fail "kill -9 left in ingest/: $(ls layout/ingest)"
pass "a push into a layout killed with -9 (standard input and a file) leaves nothing in ingest/ after the next push"

"$LADE" push --oci-layout "$WORK/layout:big" big.bin > /dev/null
kill_when pulled '.big.bin.lade-*' -- "$LADE" pull --oci-layout "$WORK/layout:big" -o pulled
"$LADE" pull --oci-layout "$WORK/layout:big" -o pulled > /dev/null || fail "the pull after kill -9 failed"
cmp big.bin pulled/big.bin || fail "the pulled file differs"
[ -z "$(find pulled -name '*.lade-*')" ] || fail "kill -9 left: $(find pulled -name '*.lade-*')"
pass "a pull from a layout killed with -9 leaves no temporary after the next pull"
echo "concurrency: all passed"
