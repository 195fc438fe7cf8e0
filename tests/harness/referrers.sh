# tests/harness/referrers.sh - the attach and discover scenario shared by the
# referrers tests: a chart with an SBOM and a signature (annotations only)
# attached, and a signature on the SBOM; then the tree to depth 2, the JSON
# and the artifact-type filter checked. Source it after lib.sh, in $WORK.

SBOM=application/spdx+json
SIG=application/vnd.example.signature
mkdir -p chart/demo/templates
printf 'apiVersion: v2\nname: demo\nversion: 1.2.3\n' > chart/demo/Chart.yaml
printf 'replicas: 1\n' > chart/demo/values.yaml
(cd chart && tar -czf ../demo-1.2.3.tgz demo)
printf '{"spdxVersion":"SPDX-2.3","name":"demo"}\n' > sbom.spdx.json

# attach_all LADE_ARGS... REF: the chart's SBOM, its signature, and a signature on the SBOM.
# Sets SUBJECT, SBOM_DIGEST, SIG1, SIG2.
attach_all() {
  local ref=${*: -1} args=("${@:1:$#-1}") out
  "$LADE" push "${args[@]}" "$ref" demo-1.2.3.tgz > push.out || fail "push the chart: $(cat push.out)"
  SUBJECT=$(sed -n 's/^Digest: //p' push.out)
  out=$("$LADE" attach "${args[@]}" --artifact-type "$SBOM" "$ref" sbom.spdx.json) || fail "attach the SBOM"
  SBOM_DIGEST=$(echo "$out" | sed -n 's/^Digest: //p')
  out=$("$LADE" attach "${args[@]}" --artifact-type "$SIG" -a org.example.signer=ci "$ref") ||
    fail "attach a signature made of annotations"
  SIG1=$(echo "$out" | sed -n 's/^Digest: //p')
  out=$("$LADE" attach "${args[@]}" --artifact-type "$SIG" "${ref%[:@]*}@$SBOM_DIGEST") ||
    fail "attach a signature to the SBOM"
  SIG2=$(echo "$out" | sed -n 's/^Digest: //p')
  [ -n "$SUBJECT" ] && [ -n "$SBOM_DIGEST" ] && [ -n "$SIG1" ] && [ -n "$SIG2" ] || fail "a digest is missing"
}

# check_discovery LADE_ARGS... REF: the tree to depth 2, the JSON, the filter.
check_discovery() {
  local ref=${*: -1} args=("${@:1:$#-1}")
  "$LADE" discover "${args[@]}" --depth 2 "$ref" > tree.out || fail "discover --depth 2"
  grep -q "@$SUBJECT\$" tree.out || fail "the tree does not start at the subject: $(cat tree.out)"
  grep -q "^├── $SBOM  $SBOM_DIGEST\|^└── $SBOM  $SBOM_DIGEST" tree.out || fail "no SBOM in the tree: $(cat tree.out)"
  grep -q "^│   └── $SIG  $SIG2\|^    └── $SIG  $SIG2" tree.out || fail "the SBOM's signature is not below it: $(cat tree.out)"
  grep -q "── $SIG  $SIG1" tree.out || fail "no signature in the tree: $(cat tree.out)"
  [ "$(wc -l < tree.out)" = 4 ] || fail "the tree has other lines: $(cat tree.out)"
  "$LADE" discover "${args[@]}" --depth 1 "$ref" | grep -q "$SIG2" && fail "--depth 1 went below the first level"
  "$LADE" discover "${args[@]}" --format json "$ref" > discover.json || fail "discover --format json"
  python3 - discover.json "$SUBJECT" "$SBOM_DIGEST" "$SIG1" "$SIG2" "$SBOM" "$SIG" <<'PY' || fail "discover JSON"
import json, sys
d = json.load(open(sys.argv[1]))
subject, sbom, sig1, sig2, SBOM, SIG = sys.argv[2:]
assert d["digest"] == subject, d
direct = {m["digest"]: m for m in d["manifests"]}
assert set(direct) == {sbom, sig1}, direct                     # exactly the referrers
assert direct[sbom]["artifactType"] == SBOM and direct[sig1]["artifactType"] == SIG, direct
assert direct[sig1]["annotations"]["org.example.signer"] == "ci", direct[sig1]
tree = {m["digest"]: m for m in d["referrers"]}
assert [r["digest"] for r in tree[sbom]["referrers"]] == [sig2], tree
assert tree[sig1]["referrers"] == [] and tree[sbom]["reference"].endswith("@" + sbom), tree
PY
  "$LADE" discover "${args[@]}" --artifact-type "$SIG" --format json "$ref" > sigs.json || fail "discover --artifact-type"
  python3 -c "
import json,sys; d=json.load(open('sigs.json'))
assert [m['digest'] for m in d['manifests']] == ['$SIG1'], d['manifests']
assert [r['digest'] for r in d['referrers'][0]['referrers']] == [], d" || fail "the artifact-type filter"
}

