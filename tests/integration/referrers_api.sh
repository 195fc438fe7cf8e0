#!/usr/bin/env bash
# The referrers API side (distribution-spec 1.1 §2.10), against the scripted
# server: pages joined by Link, a filter the registry applied (trusted) and
# one it did not (applied by lade), an empty index, a reply that is not JSON
# or too big, and a manifest PUT answered with OCI-Subject (then no fallback
# tag is read or written). The server records what lade asked. Last, the
# whole attach-and-discover scenario on the server's registry mode, a small
# in-memory registry with the referrers API.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"

python3 - "$WORK" "$HARNESS_DIR" <<'PY'
import json, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from fixtures import digest, manifest_rules
SIG, SBOM = "application/vnd.example.signature", "application/vnd.example.sbom"
rules = []
manifest_rules(rules, "api/app", [])
subject = [r for r in rules if r["method"] == "GET"][0]
subj_digest = subject["headers"]["Docker-Content-Digest"]
def entry(n, at):
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(f"ref{n}".encode()),
            "size": 100 + n, "artifactType": at, "annotations": {"n": str(n)}}
def index(entries):
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": entries})
ctype = {"Content-Type": "application/vnd.oci.image.index.v1+json"}
base = f"/v2/api/app/referrers/{subj_digest}"
rules += [
    # the registry applies the filter and says so: what it sends is taken as it is
    {"method": "GET", "path": f"^{base}\\?artifactType=application%2Fvnd\\.example\\.signature$", "status": 200,
     "headers": {**ctype, "OCI-Filters-Applied": "artifactType"}, "body": index([entry(1, SIG), entry(3, SIG)])},
    # no filter asked: two pages joined by a relative Link
    {"method": "GET", "path": f"^{base}$", "status": 200,
     "headers": {**ctype, "Link": f'<{base}?page=2>; rel="next"'}, "body": index([entry(1, SIG), entry(2, SBOM)])},
    {"method": "GET", "path": f"^{base}\\?page=2$", "status": 200, "headers": ctype, "body": index([entry(3, SIG)])},
]
# a registry that ignores the filter (no OCI-Filters-Applied): lade filters
manifest_rules(rules, "api/nofilter", [])
nf_digest = [r for r in rules if r["method"] == "GET"][-1]["headers"]["Docker-Content-Digest"]
rules.append({"method": "GET", "path": f"^/v2/api/nofilter/referrers/{nf_digest}(\\?.*)?$", "status": 200,
              "headers": ctype, "body": index([entry(1, SIG), entry(2, SBOM), entry(3, SIG)])})
# nothing refers to it: an empty index
manifest_rules(rules, "api/lonely", [])
lonely = [r for r in rules if r["method"] == "GET"][-1]["headers"]["Docker-Content-Digest"]
rules.append({"method": "GET", "path": f"^/v2/api/lonely/referrers/{lonely}$", "status": 200, "headers": ctype,
              "body": index([])})
# hostile replies: not JSON, and over the 4 MiB cap
for repo, body in (("api/garbage", "this is not json"), ("api/huge", None)):
    manifest_rules(rules, repo, [])
    d = [r for r in rules if r["method"] == "GET"][-1]["headers"]["Docker-Content-Digest"]
    rule = {"method": "GET", "path": f"^/v2/{repo}/referrers/{d}$", "status": 200, "headers": ctype}
    if body is None:
        rule["body_repeat"] = [" ", 5 * 1024 * 1024]
    else:
        rule["body"] = body
    rules.append(rule)
# attach to a registry with the API: the manifest PUT is answered with OCI-Subject
rules += [
    {"method": "HEAD", "path": "^/v2/api/app/blobs/", "status": 404},
    {"method": "POST", "path": "^/v2/api/app/blobs/uploads/$", "status": 202,
     "headers": {"Location": "/v2/api/app/blobs/uploads/u1?_state=x"}},
    {"method": "PUT", "path": "^/v2/api/app/blobs/uploads/u1", "status": 201},
    {"method": "PUT", "path": "^/v2/api/app/manifests/sha256:[0-9a-f]{64}$", "status": 201,
     "headers": {"OCI-Subject": subj_digest}},
]
# a registry with the API answers for any digest: the referrers of the referrers are none
rules.append({"method": "GET", "path": "^/v2/api/[a-z]+/referrers/sha256:[0-9a-f]{64}(\\?.*)?$", "status": 200,
              "headers": ctype, "body": index([])})
json.dump({"rules": rules}, open(f"{work}/api.json", "w"))
open(f"{work}/subject", "w").write(subj_digest)
PY
start_fault_server "$WORK/api.json"
S=$(cat subject)
lade() { "$LADE" "$@" --plain-http; }

lade discover --format json "$FAULT/api/app:v1" > all.json || fail "discover through the referrers API"
python3 -c "
import json; d=json.load(open('all.json'))
assert [m['annotations']['n'] for m in d['manifests']] == ['1','2','3'], d['manifests']" || fail "pages: $(cat all.json)"
grep -q "referrers/$S?page=2" "$FAULT_LOG" || fail "the Link to the second page was not followed"
pass "referrers API: two pages joined by Link, each referrer with its artifactType and annotations"

lade discover --format json --artifact-type application/vnd.example.signature "$FAULT/api/app:v1" > sig.json ||
  fail "discover --artifact-type through the API"
python3 -c "
import json; d=json.load(open('sig.json'))
assert [m['annotations']['n'] for m in d['manifests']] == ['1','3'], d['manifests']" || fail "filtered: $(cat sig.json)"
grep -q 'artifactType=application%2Fvnd.example.signature' "$FAULT_LOG" || fail "the filter was not sent"
lade discover --format json --artifact-type application/vnd.example.sbom "$FAULT/api/nofilter:v1" > nf.json ||
  fail "discover against a registry that ignores the filter"
python3 -c "
import json; d=json.load(open('nf.json'))
assert [m['annotations']['n'] for m in d['manifests']] == ['2'], d['manifests']" || fail "client-side filter: $(cat nf.json)"
pass "a filter the registry applied (OCI-Filters-Applied) is trusted; one it ignored is applied by lade"

out=$(lade discover "$FAULT/api/lonely:v1") || fail "discover of a manifest without referrers"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "an empty index printed referrers: $out"
lade discover --format json "$FAULT/api/lonely:v1" | grep -q '"manifests":	\[\]' || fail "empty JSON list"
pass "an empty referrers index: the subject alone, exit 0"

expect_fail 1 "not valid JSON" -- "$LADE" discover --plain-http "$FAULT/api/garbage:v1"
expect_fail 1 "over the .*limit|too large|over" -- "$LADE" discover --plain-http "$FAULT/api/huge:v1"
pass "a referrers reply that is not JSON, or over 4 MiB: refused with a message, exit 1"

: > "$FAULT_LOG"
lade attach --artifact-type application/vnd.example.signature -a by=lade "$FAULT/api/app:v1" > attach.out ||
  fail "attach to a registry with the referrers API: $(cat attach.out)"
grep -q 'sha256-' "$FAULT_LOG" && fail "a registry that answered OCI-Subject still got the fallback tag"
python3 - "$FAULT_LOG" "$S" <<'PY' || fail "the referrer manifest was not sent with its subject"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
puts = [r for r in reqs if r["method"] == "PUT" and "/manifests/" in r["path"]]
assert len(puts) == 1, [r["path"] for r in puts]
PY
pass "attach where the registry answers OCI-Subject: the manifest alone, no fallback tag read or written"
# The whole scenario on a registry that has the referrers API (the scripted server's registry mode):
# nothing is written or read under a sha256-<hex> tag, and discover reads the API's pages.
echo '{"rules": [], "registry": {"page_size": 1, "apply_filter": true}}' > registry.json
start_fault_server "$WORK/registry.json"
source "$HARNESS_DIR/referrers.sh"
attach_all --plain-http "$FAULT/team/demo:1.2.3"
check_discovery --plain-http "$FAULT/team/demo:1.2.3"
grep -q 'sha256-' "$FAULT_LOG" && fail "a registry with the referrers API got fallback tag requests"
grep -q "/v2/team/demo/referrers/$SUBJECT?page=1" "$FAULT_LOG" || fail "the API's second page was not read"
pass "attach, discover --depth 2, JSON and filter on a registry with the referrers API: no fallback tag"
echo "referrers_api: all passed"
