#!/usr/bin/env bash
# Attach and discover: an SBOM and a signature (annotations only) hung on a
# pushed chart, a signature on the SBOM; the tree, the JSON, the filter; on
# an OCI layout, on docker-registry (no referrers API: the sha256-<hex> tag
# schema) in plain and token modes, and on the scripted server speaking the
# referrers API. Ten attaches at once all end up in the fallback index; an
# independent reader (curl + python, formats.md §2.11) finds what lade
# wrote, and lade finds what curl wrote. Bad subjects change nothing.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"

source "$HARNESS_DIR/referrers.sh"

# --- the embedded default: an OCI layout, no server
attach_all --oci-layout "$WORK/store:1.2.3"
check_discovery --oci-layout "$WORK/store:1.2.3"
[ "$("$LADE" resolve --oci-layout "$WORK/store:1.2.3")" = "$SUBJECT" ] || fail "attaching moved the layout's tag"
oci-image-tool validate --type imageIndex "$WORK/store/index.json" > /dev/null || fail "index.json is no longer valid"
"$LADE" manifest fetch --oci-layout "$WORK/store@$SBOM_DIGEST" > referrer.json
oci-image-tool validate --type manifest referrer.json > /dev/null || fail "oci-image-tool rejects the referrer's manifest"
pass "layout: attach (SBOM, signature of annotations, signature on the SBOM), discover tree, JSON, filter"

# --- docker-registry: no referrers API, the tag schema
start_registry plain
R="$REGISTRY/team/demo"
attach_all --plain-http "$R:1.2.3"
check_discovery --plain-http "$R:1.2.3"
[ "$("$LADE" resolve --plain-http "$R:1.2.3")" = "$SUBJECT" ] || fail "attaching moved the subject's tag"
tags=$("$LADE" repo tags --plain-http "$R" | sort | tr '\n' ' ')
want=$(printf '%s\n' 1.2.3 "sha256-${SUBJECT#sha256:}" "sha256-${SBOM_DIGEST#sha256:}" | sort | tr '\n' ' ')
[ "$tags" = "$want" ] || fail "tags after attaching: $tags (wanted $want)"
pass "docker-registry: the same through the sha256-<hex> fallback; the subject's tag and digest unchanged"

# Learnt once, kept a day: the next command does not ask the registry for its referrers API again.
[ "$(cat "$XDG_CACHE_HOME/lade/referrers-${REGISTRY//:/_}")" = tag ] || fail "the registry's answer was not kept"
"$LADE" discover --plain-http --debug "$R:1.2.3" 2> debug.err > /dev/null || fail "discover with --debug"
grep -q 'GET /v2/team/demo/referrers/' debug.err && fail "the referrers API was asked again despite the cache"
grep -q "GET /v2/team/demo/manifests/sha256-" debug.err || fail "the fallback tag was not read"
pass "the registry's lack of a referrers API is kept between commands (XDG_CACHE_HOME/lade), not asked again"

# An independent reader of the fallback schema finds what lade wrote (formats.md §2.11, not lade's code).
python3 - "http://$R" "$SUBJECT" "$SBOM_DIGEST" "$SIG1" "$SBOM" <<'PY' || fail "curl + python did not find lade's referrers"
import json, subprocess, sys
base, subject, sbom, sig1, SBOM = sys.argv[1:]
tag = subject.replace(":", "-")
out = subprocess.run(["curl", "-sf", "-H", "Accept: application/vnd.oci.image.index.v1+json",
                      "-D", "/dev/stderr", f"{base.replace('/team/demo', '')}/v2/team/demo/manifests/{tag}"],
                     capture_output=True, check=True)
assert b"application/vnd.oci.image.index.v1+json" in out.stderr, out.stderr
idx = json.loads(out.stdout)
assert idx["schemaVersion"] == 2 and idx["mediaType"] == "application/vnd.oci.image.index.v1+json", idx
found = {m["digest"]: m for m in idx["manifests"]}
assert set(found) == {sbom, sig1}, found
assert found[sbom]["artifactType"] == SBOM and found[sbom]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
m = json.loads(subprocess.run(["curl", "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                               f"{base.replace('/team/demo', '')}/v2/team/demo/manifests/{sbom}"],
                              capture_output=True, check=True).stdout)
assert m["subject"]["digest"] == subject and m["artifactType"] == SBOM, m
PY

# ... and lade finds a referrer that curl wrote in the fallback format.
python3 - "$REGISTRY" "$SUBJECT" > curl-referrer.out <<'PY' || fail "writing a referrer with curl"
import hashlib, json, subprocess, sys
reg, subject = sys.argv[1:]
def put(path, body, ctype):
    subprocess.run(["curl", "-sf", "-X", "PUT", "-H", f"Content-Type: {ctype}", "--data-binary", "@-",
                    f"http://{reg}{path}"], input=body, check=True)
base = f"/v2/team/demo"
subj = json.loads(subprocess.run(["curl", "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                                  f"http://{reg}{base}/manifests/{subject}"], capture_output=True, check=True).stdout)
sub_bytes = subprocess.run(["curl", "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                            f"http://{reg}{base}/manifests/{subject}"], capture_output=True, check=True).stdout
empty = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
# the empty blob, monolithic: POST then PUT
loc = subprocess.run(["curl", "-sf", "-X", "POST", "-D", "-", "-o", "/dev/null", f"http://{reg}{base}/blobs/uploads/"],
                     capture_output=True, check=True, text=True).stdout
loc = [l.split(": ", 1)[1].strip() for l in loc.splitlines() if l.lower().startswith("location:")][0]
subprocess.run(["curl", "-sf", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", "{}",
                f"{loc}&digest={empty}"], check=True)
ref = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "artifactType": "application/vnd.example.curl",
                  "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
                  "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2}],
                  "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject,
                              "size": len(sub_bytes)}}).encode()
rd = "sha256:" + hashlib.sha256(ref).hexdigest()
put(f"{base}/manifests/{rd}", ref, "application/vnd.oci.image.manifest.v1+json")
tag = subject.replace(":", "-")
idx = json.loads(subprocess.run(["curl", "-sf", "-H", "Accept: application/vnd.oci.image.index.v1+json",
                                 f"http://{reg}{base}/manifests/{tag}"], capture_output=True, check=True).stdout)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": rd, "size": len(ref),
                         "artifactType": "application/vnd.example.curl"})
put(f"{base}/manifests/{tag}", json.dumps(idx).encode(), "application/vnd.oci.image.index.v1+json")
print(rd)
PY
"$LADE" discover --plain-http --depth 1 "$R:1.2.3" | grep -q "application/vnd.example.curl  $(cat curl-referrer.out)" ||
  fail "lade discover did not find the referrer curl wrote: $("$LADE" discover --plain-http "$R:1.2.3")"
pass "interop: curl + python read lade's fallback index; lade discovers a referrer curl wrote"

# Deleting a referrer takes it out of its subject's referrers too (the fallback index is the client's to keep).
"$LADE" manifest delete --plain-http --force "$R@$SIG1" > delete.out || fail "manifest delete of a referrer: $(cat delete.out)"
"$LADE" discover --plain-http --format json "$R:1.2.3" > after-delete.json
python3 -c "
import json; d=json.load(open('after-delete.json'))
assert [m['digest'] for m in d['manifests'] if m['digest'] == '$SIG1'] == [], d['manifests']
assert '$SBOM_DIGEST' in [m['digest'] for m in d['manifests']], d['manifests']" || fail "the deleted referrer is still listed"
[ "$("$LADE" resolve --plain-http "$R:1.2.3")" = "$SUBJECT" ] || fail "deleting a referrer touched the subject"
"$LADE" manifest delete --oci-layout --force "$WORK/store@$SIG1" > /dev/null || fail "manifest delete in a layout"
"$LADE" discover --oci-layout --depth 1 "$WORK/store:1.2.3" | grep -q "$SIG1" && fail "the layout still lists the deleted referrer"
pass "manifest delete of a referrer: gone from its subject's referrers (registry fallback index, layout); the subject untouched"

# A referrer pulls like any artifact.
"$LADE" pull --plain-http "$R@$SBOM_DIGEST" -o pulled > /dev/null || fail "pull of a referrer"
cmp sbom.spdx.json pulled/sbom.spdx.json || fail "the pulled SBOM differs"
pass "a referrer pulls like any artifact"

# Ten attaches at once to one subject: all ten in the fallback index afterwards.
"$LADE" push --plain-http "$REGISTRY/team/busy:v1" sbom.spdx.json > /dev/null || fail "push the busy subject"
pids=()
for i in $(seq 10); do
  "$LADE" attach --plain-http --artifact-type "$SIG" -a "n=$i" "$REGISTRY/team/busy:v1" > "attach-$i.out" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent attach failed: $(cat attach-*.out)"; done
n=$("$LADE" discover --plain-http --format json "$REGISTRY/team/busy:v1" |
  python3 -c 'import json,sys; print(len({m["digest"] for m in json.load(sys.stdin)["manifests"]}))')
[ "$n" = 10 ] || fail "$n of 10 concurrent attaches are in the referrers index"
pass "10 concurrent attaches to one subject: all 10 in the fallback index"

# Bad subjects: a clear message, exit 1, nothing changed at the registry.
before=$("$LADE" repo tags --plain-http "$R" | sort | tr '\n' ' ')
expect_fail 1 "the subject .*:nosuch.*not found|MANIFEST_UNKNOWN" -- "$LADE" attach --plain-http --artifact-type "$SIG" "$R:nosuch"
blob=$(python3 -c "import json,sys; print(json.load(open('discover.json'))['digest'])")
layer=$("$LADE" manifest fetch --plain-http "$R:1.2.3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
expect_fail 1 "the subject .*$layer" -- "$LADE" attach --plain-http --artifact-type "$SIG" "$R@$layer"
"$LADE" push --plain-http "$REGISTRY/team/other:v1" sbom.spdx.json > /dev/null
expect_fail 1 "the subject .*not found|MANIFEST_UNKNOWN" -- "$LADE" attach --plain-http --artifact-type "$SIG" "$REGISTRY/team/other@$SUBJECT"
expect_fail 2 "needs --artifact-type" -- "$LADE" attach --plain-http "$R:1.2.3"
# a fallback tag that holds an image manifest: left alone, the attach refused before anything is sent
"$LADE" push --plain-http "$REGISTRY/team/squat:v1" sbom.spdx.json > squat.out
squat=$(sed -n 's/^Digest: //p' squat.out)
"$LADE" push --plain-http "$REGISTRY/team/squat:sha256-${squat#sha256:}" demo-1.2.3.tgz > /dev/null 2>&1 ||
  "$LADE" push --plain-http --kind file "$REGISTRY/team/squat:sha256-${squat#sha256:}" demo-1.2.3.tgz > /dev/null
held=$("$LADE" resolve --plain-http "$REGISTRY/team/squat:sha256-${squat#sha256:}")
expect_fail 1 "holds application/vnd.oci.image.manifest.v1\+json, not the image index of referrers" -- \
  "$LADE" attach --plain-http --artifact-type "$SIG" -a x=1 "$REGISTRY/team/squat:v1"
[ "$("$LADE" resolve --plain-http "$REGISTRY/team/squat:sha256-${squat#sha256:}")" = "$held" ] || fail "the squatting tag changed"
expect_fail 1 "holds application/vnd.oci.image.manifest.v1\+json" -- "$LADE" discover --plain-http "$REGISTRY/team/squat:v1"
after=$("$LADE" repo tags --plain-http "$R" | sort | tr '\n' ' ')
[ "$before" = "$after" ] || fail "a refused attach changed the tags: $before -> $after"
pass "bad subjects: a missing tag, a blob digest, another repository's manifest, a squatted fallback tag: exit 1, nothing changed"

# The subject deleted: its referrers are still found by its digest.
"$LADE" push --plain-http "$REGISTRY/team/gone:v1" sbom.spdx.json > gone.out
gone=$(sed -n 's/^Digest: //p' gone.out)
"$LADE" attach --plain-http --artifact-type "$SIG" -a x=1 "$REGISTRY/team/gone:v1" > gone-ref.out
"$LADE" manifest delete --plain-http --force "$REGISTRY/team/gone@$gone" > /dev/null || fail "delete the subject"
"$LADE" discover --plain-http "$REGISTRY/team/gone@$gone" > gone-tree.out 2> gone.err || fail "discover of a deleted subject"
grep -q "$(sed -n 's/^Digest: //p' gone-ref.out)" gone-tree.out || fail "the referrer of a deleted subject is lost"
grep -q 'not there any more' gone.err || fail "no word that the subject is gone"
pass "a deleted subject's referrers are still discovered by its digest"

# --- basic auth
start_registry basic
B="$REGISTRY/team/basic"
attach_all --plain-http -u "$REG_USER" -p "$REG_PASS" "$B:1.2.3"
check_discovery --plain-http -u "$REG_USER" -p "$REG_PASS" "$B:1.2.3"
pass "basic auth: attach and discover through the fallback"

# --- token auth: the fallback tag is pushed with the subject repository's pull,push scope
start_registry token
T="$REGISTRY/team/tok"
auth=(--plain-http -u "$REG_USER" -p "$REG_PASS")
attach_all "${auth[@]}" "$T:1.2.3"
check_discovery "${auth[@]}" "$T:1.2.3"
grep -q 'repository:team/tok:pull,push' "$TOKEN_LOG" || fail "no token was asked for team/tok with pull,push"
pass "token auth: attach and discover through the fallback with repository:<subject's>:pull,push"
echo "referrers: all passed"
