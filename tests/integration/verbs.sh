#!/usr/bin/env bash
# The everyday registry verbs, as ORAS users type them: tag (and untag in a
# layout), manifest push and delete, blob delete, repo ls (the catalog, a
# namespace, --last), repo tags --last and --exclude-digest-tags; on
# docker-registry and on an OCI layout, with what a registry refuses said
# plainly.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
start_registry plain
lade() { "$LADE" "$@"; }
printf 'hello\n' > hello.txt

# tag: more tags, the digest unchanged, no blob sent
lade push --plain-http "$REGISTRY/team/app:v1" hello.txt > push.out
digest=$(sed -n 's/^Digest: //p' push.out)
lade tag --plain-http "$REGISTRY/team/app:v1" v2 v3 > tag.out || fail "tag: $(cat tag.out)"
for t in v2 v3; do
  [ "$(lade resolve --plain-http "$REGISTRY/team/app:$t")" = "$digest" ] || fail "tag $t does not name $digest"
done
lade tag --plain-http "$REGISTRY/team/app@$digest" v4 > /dev/null || fail "tag by digest"
expect_fail 2 "invalid|not a valid tag|tag" -- "$LADE" tag --plain-http "$REGISTRY/team/app:v1" 'bad tag!'
expect_fail 1 "" -- "$LADE" tag --plain-http "$REGISTRY/team/app:nosuch" v5
expect_fail 1 "does not allow deleting" -- "$LADE" tag --plain-http --delete "$REGISTRY/team/app:v3"
pass "tag: new tags name the same digest (by tag or digest); a registry that refuses untag says so"

# repo tags --last, --exclude-digest-tags
[ "$(lade repo tags --plain-http --last v2 "$REGISTRY/team/app" | sort | tr '\n' ' ')" = "v3 v4 " ] || fail "repo tags --last v2"
lade attach --plain-http --artifact-type application/vnd.example.sig "$REGISTRY/team/app:v1" > /dev/null
lade repo tags --plain-http "$REGISTRY/team/app" | grep -q '^sha256-' || fail "no fallback tag to hide"
lade repo tags --plain-http --exclude-digest-tags "$REGISTRY/team/app" | grep -q '^sha256-' &&
  fail "--exclude-digest-tags still shows sha256- tags"
pass "repo tags --last T lists what comes after T; --exclude-digest-tags hides the referrers tags"

# repo ls: the catalog, a namespace (names printed from there on), --last
lade push --plain-http "$REGISTRY/team/db:v1" hello.txt > /dev/null
lade push --plain-http "$REGISTRY/other/web:v1" hello.txt > /dev/null
[ "$(lade repo ls --plain-http "$REGISTRY" | tr '\n' ' ')" = "other/web team/app team/db " ] ||
  fail "repo ls: $(lade repo ls --plain-http "$REGISTRY")"
[ "$(lade repo ls --plain-http "$REGISTRY/team" | tr '\n' ' ')" = "app db " ] || fail "repo ls of a namespace"
[ "$(lade repo ls --plain-http --last app "$REGISTRY/team" | tr '\n' ' ')" = "db " ] || fail "repo ls --last"
expect_fail 2 "does not name a registry host" -- "$LADE" repo ls localhostish
pass "repo ls: the catalog, under a namespace (ORAS's names), --last"

# A hostile catalog: not JSON, a NUL in a name, a Link back to itself, a page over 16 MiB.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
rules = {"junk": {"body": "this is no catalog"},
         "nul": {"body": '{"repositories":["team/a\\u0000b"]}'},
         "loop": {"body": '{"repositories":["team/a"]}', "headers": {"Link": '</v2/_catalog?x=loop>; rel="next"'}},
         "huge": {"body_repeat": [" ", 17 * 1024 * 1024]}}
for name, rule in rules.items():
    json.dump({"rules": [dict(rule, method="GET", path="^/v2/_catalog", status=200)]},
              open(f"{work}/catalog-{name}.json", "w"))
PY
for case in junk nul loop huge; do
  start_fault_server "$WORK/catalog-$case.json"
  case $case in
    junk) want="not valid JSON" ;;
    nul) want="NUL" ;;
    loop) want="already read|Link loop" ;;
    huge) want="over the .*limit" ;;
  esac
  expect_fail 1 "$want" -- "$LADE" repo ls --plain-http "$FAULT"
done
pass "repo ls of a hostile catalog (not JSON, a NUL, a Link loop, 17 MiB): a message, exit 1"

# manifest push: the bytes as they are, by tag or by digest; refused before sending when invalid
lade manifest fetch --plain-http "$REGISTRY/team/app:v1" > m.json
lade manifest push --plain-http "$REGISTRY/team/app:copy" m.json > mp.out || fail "manifest push"
grep -qx "Pushed $REGISTRY/team/app:copy" mp.out || fail "manifest push does not name the tag: $(cat mp.out)"
[ "$(lade resolve --plain-http "$REGISTRY/team/app:copy")" = "$digest" ] || fail "manifest push changed the digest"
lade manifest push --plain-http "$REGISTRY/team/app@$digest" - < m.json > /dev/null || fail "manifest push - by digest"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":"no"}' > bad.json
expect_fail 1 "is not a valid application/vnd.oci.image.manifest.v1\+json" -- "$LADE" manifest push --plain-http "$REGISTRY/team/app:bad" bad.json
printf '{"schemaVersion":2}' > notype.json
expect_fail 2 "no mediaType field: give --media-type" -- "$LADE" manifest push --plain-http "$REGISTRY/team/app:bad" notype.json
expect_fail 1 "says its mediaType is" -- "$LADE" manifest push --plain-http --media-type application/vnd.oci.image.index.v1+json "$REGISTRY/team/app:bad" m.json
lade repo tags --plain-http "$REGISTRY/team/app" | grep -q '^bad$' && fail "a refused manifest push left a tag"
pass "manifest push: byte for byte by tag or digest; invalid, untyped or mistyped documents refused, nothing sent"

# manifest delete and blob delete (docker-registry allows deletes in the harness)
layer=$(python3 -c "import json; print(json.load(open('m.json'))['layers'][0]['digest'])")
lade push --plain-http "$REGISTRY/team/gone:v1" hello.txt > gone.out
gone=$(sed -n 's/^Digest: //p' gone.out)
lade manifest delete --plain-http --force "$REGISTRY/team/gone:v1" > del.out || fail "manifest delete: $(cat del.out)"
expect_fail 1 "not found|MANIFEST_UNKNOWN" -- "$LADE" resolve --plain-http "$REGISTRY/team/gone@$gone"
lade blob delete --plain-http --force "$REGISTRY/team/gone@$layer" > /dev/null || fail "blob delete"
expect_fail 1 "not found|BLOB_UNKNOWN" -- "$LADE" blob fetch --plain-http "$REGISTRY/team/gone@$layer" -o x
expect_fail 1 "not found|BLOB_UNKNOWN" -- "$LADE" blob delete --plain-http --force "$REGISTRY/team/gone@$layer"
pass "manifest delete (its tag goes) and blob delete; a second delete: not found"

# the same verbs in an OCI layout, untag included
L="$WORK/store"
lade push --oci-layout "$L:v1" hello.txt > /dev/null
lade tag --oci-layout "$L:v1" v2 > /dev/null || fail "tag in a layout"
[ "$(lade repo tags --oci-layout "$L" | sort | tr '\n' ' ')" = "v1 v2 " ] || fail "layout tags after tag"
lade tag --oci-layout --delete "$L:v2" > /dev/null || fail "untag in a layout"
[ "$(lade repo tags --oci-layout "$L" | tr '\n' ' ')" = "v1 " ] || fail "layout tags after untag"
expect_fail 1 "not found" -- "$LADE" tag --oci-layout --delete "$L:v2"
lade manifest push --oci-layout "$L:again" m.json > /dev/null || fail "manifest push into a layout"
lade manifest delete --oci-layout --force "$L:again" > /dev/null || fail "manifest delete in a layout"
expect_fail 1 "not found" -- "$LADE" resolve --oci-layout "$L:v1"
oci-image-tool validate --type imageIndex "$L/index.json" > /dev/null || fail "index.json after the verbs"
pass "layout: tag, untag, manifest push and delete (every tag of the digest goes); index.json stays valid"
echo "verbs: all passed"
