#!/usr/bin/env bash
# Many small blobs, side by side in one run: lade against oras-go (the
# orasgo1 client on Debian's golang-oras-oras-go-dev, built offline here)
# and pyoras (a keep-alive stdlib client, -j 4), pushing and pulling
# COUNT files of 1 KiB through the same registry. Each push goes to a new
# repository (nothing to skip); runs interleave the tools; the median of
# RUNS is reported with peak RSS and lade's time as a ratio of oras-go's.
# The peers come from PEERS (default: ../shared/peers beside the project).
#
#   tests/bench/peers.sh                 COUNT=1000 RUNS=3 by default
#   apt-get install golang-go golang-oras-oras-go-dev   (for orasgo1)
source "$(dirname "$0")/lib.sh"
PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
COUNT=${COUNT:-1000}
RUNS=${RUNS:-3}
[ -f "$PEERS/pyoras.py" ] && [ -d "$PEERS/orasgo1" ] || skip "the peers are not at $PEERS (set PEERS)"
command -v go > /dev/null || skip "go (golang-go) builds orasgo1"
cd "$WORK"
cp -r "$PEERS/orasgo1" orasgo1
(cd orasgo1 && TMPDIR="$WORK" bash build.sh > /dev/null) || skip "orasgo1 does not build (golang-oras-oras-go-dev?)"
start_registry plain
mkdir files
python3 - "$COUNT" <<'PY'
import os, sys
for i in range(int(sys.argv[1])):
    open(f"files/f{i:05d}", "wb").write(os.urandom(1024))
PY
names=$(cd files && ls)

# measure TOOL OP RUN: one timed run, appending "tool op seconds kb" to results
measure() {
  local tool=$1 op=$2 run=$3 repo="bench/$1-$3" out="$WORK/out-$1-$3"
  local -a cmd
  case "$tool/$op" in
    lade/push) cmd=("$LADE" push --plain-http "$REGISTRY/$repo:v1" $names) ;;
    lade/pull) cmd=("$LADE" pull --plain-http "$REGISTRY/$repo:v1" -o "$out") ;;
    orasgo1/push) cmd=("$WORK/orasgo1/orasgo1" push -plain-http "$REGISTRY/$repo:v1" $names) ;;
    orasgo1/pull) cmd=("$WORK/orasgo1/orasgo1" pull -plain-http -o "$out" "$REGISTRY/$repo:v1") ;;
    pyoras/push) cmd=(python3 "$PEERS/pyoras.py" push -j 4 "http://$REGISTRY" "$repo" v1 $names) ;;
    pyoras/pull) cmd=(python3 "$PEERS/pyoras.py" pull -j 4 "http://$REGISTRY" "$repo" v1 "$out") ;;
  esac
  rm -rf "$out"
  (cd files && /usr/bin/time -f '%e %M' -o "$WORK/t.log" "${cmd[@]}" > "$WORK/run.log" 2>&1) ||
    { cat "$WORK/run.log" >&2; fail "$tool $op failed"; }
  echo "$tool $op $(cat "$WORK/t.log")" >> "$WORK/results"
  if [ "$op" = pull ]; then
    cmp -s files/f00000 "$out/f00000" || fail "$tool pulled other bytes"
  fi
}
: > results
for run in $(seq "$RUNS"); do
  for tool in lade orasgo1 pyoras; do measure "$tool" push "$run"; done
  for tool in lade orasgo1 pyoras; do measure "$tool" pull "$run"; done
done
python3 - "$WORK/results" "$COUNT" "$RUNS" "$("$LADE" version | head -1)" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for tool, op, secs, kb in rows:
    med.setdefault((tool, op), []).append((float(secs), int(kb)))
print(f"{sys.argv[2]} x 1 KiB, median of {sys.argv[3]} ({sys.argv[4]})")
print(f"{'':8} {'lade':>18} {'orasgo1':>18} {'pyoras -j4':>18}  lade/orasgo1")
for op in ("push", "pull"):
    cells, t = [], {}
    for tool in ("lade", "orasgo1", "pyoras"):
        secs = statistics.median(s for s, _ in med[(tool, op)])
        kb = max(k for _, k in med[(tool, op)])
        t[tool] = secs
        cells.append(f"{secs:6.2f} s {kb / 1024:5.1f} MiB")
    print(f"{op:8} {cells[0]:>18} {cells[1]:>18} {cells[2]:>18}  {t['lade'] / t['orasgo1']:.2f}")
PY
