#!/usr/bin/env bash
# Round trips through a real docker-registry on 127.0.0.1 (plain HTTP),
# checked with skopeo.
source "$(dirname "$0")/../harness/lib.sh"
start_registry plain
cd "$WORK"
R="$REGISTRY/lade/files"
lade() { local cmd=$1; shift; "$LADE" "$cmd" --plain-http "$@"; }

mkdir -p in
: > in/empty
head -c 1048576 /dev/urandom > in/one-mib.bin
echo "spaces in the name" > "in/name with spaces.txt"
printf 'a\nb\n' > in/notes.md

# Each file alone, then all of them in one artifact.
n=0
for f in in/empty in/one-mib.bin "in/name with spaces.txt"; do
  n=$((n + 1))
  (cd in && lade push "$R:single$n" "$(basename "$f")" > "$WORK/push.out") || fail "push of $f"
  rm -rf "out$n"
  lade pull "$R:single$n" -o "out$n" > /dev/null || fail "pull of $f"
  cmp "$f" "out$n/$(basename "$f")" || fail "$f came back different"
done
pass "round trips of a 0-byte file, a 1 MiB binary and a name with spaces"

# Past 4 MiB a pull hashes and writes on a worker thread: the same bytes must come back.
head -c $((24 * 1024 * 1024 + 12345)) /dev/urandom > big.bin
lade push "$R:big" big.bin > /dev/null || fail "push of 24 MiB"
lade pull "$R:big" -o big-out > /dev/null || fail "pull of 24 MiB"
cmp big.bin big-out/big.bin || fail "24 MiB came back different"
pass "a 24 MiB file round trip (pipelined hashing)"

(cd in && lade push "$R:v1,v2,latest" empty one-mib.bin "name with spaces.txt" notes.md:text/markdown) > push1.out
digest=$(sed -n 's/^Digest: //p' push1.out)
[ -n "$digest" ] || fail "push printed no digest"
lade pull "$R:v2" -o all > /dev/null
for f in empty one-mib.bin "name with spaces.txt" notes.md; do cmp "in/$f" "all/$f" || fail "$f differs"; done
pass "several files in one artifact"

for t in v1 v2 latest; do
  [ "$(lade resolve "$R:$t")" = "$digest" ] || fail "tag $t does not resolve to $digest"
done
[ "$(lade repo tags "$R" | sort | tr "\n" " ")" = "big latest single1 single2 single3 v1 v2 " ] || fail "tags: $(lade repo tags "$R")"
pass "several tags point at one digest"

(cd in && lade push --debug "$R:v1,v2,latest" empty one-mib.bin "name with spaces.txt" notes.md:text/markdown) \
  > push2.out 2> push2.trace
grep -q "^Digest: $digest\$" push2.out || fail "second push gave another digest"
grep -q '^Blobs: 0 pushed (0 B), 4 already present$' push2.out || fail "second push sent blobs: $(cat push2.out)"
# The wire says the same: blobs were only asked about (HEAD), never uploaded.
grep -q 'debug: > HEAD /v2/lade/files/blobs/' push2.trace || fail "the second push did not check blobs"
grep -qE 'debug: > (POST|PATCH) |debug: > PUT /v2/lade/files/blobs/' push2.trace && fail "the second push started an upload"
pass "a second identical push sends no blob bytes and gives the same digest"

skopeo inspect --raw --tls-verify=false "docker://$R:v1" > skopeo.json
lade manifest fetch "$R:v1" > lade.json
cmp skopeo.json lade.json || fail "skopeo sees other manifest bytes"
[ "sha256:$(sha256sum < skopeo.json | cut -d' ' -f1)" = "$digest" ] || fail "manifest bytes do not hash to the digest"
grep -q '"mediaType":"text/markdown"' lade.json || fail "explicit media type lost"
grep -q '"artifactType":"application/vnd.unknown.artifact.v1"' lade.json || fail "default artifactType missing"
pass "skopeo inspect --raw returns the manifest byte-identical"

rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb 2>/dev/null || true
skopeo copy --quiet --src-tls-verify=false --preserve-digests "docker://$R:v1" "oci:$WORK/skopeo-layout:copied"
"$LADE" pull --oci-layout "$WORK/skopeo-layout:copied" -o from-skopeo > /dev/null || fail "pull from skopeo's layout"
for f in empty one-mib.bin "name with spaces.txt" notes.md; do cmp "in/$f" "from-skopeo/$f" || fail "$f differs via skopeo"; done
pass "skopeo copies lade's artifact into a layout and lade pulls it from there"

lade blob fetch "$R@$(sha256sum in/one-mib.bin | sed 's/^/sha256:/; s/ .*//')" -o blob.bin
cmp blob.bin in/one-mib.bin || fail "blob fetch -o"
lade blob fetch "$R@sha256:$(sha256sum in/notes.md | cut -d' ' -f1)" -o - > blob.out
cmp blob.out in/notes.md || fail "blob fetch -o -"
pass "blob fetch to a file and to standard output"

# Reproducible: the same inputs give the same digest in another repository; SOURCE_DATE_EPOCH adds created.
(cd in && lade push "$REGISTRY/lade/other:x" empty one-mib.bin "name with spaces.txt" notes.md:text/markdown) > push3.out
grep -q "^Digest: $digest\$" push3.out || fail "same inputs, other digest"
(cd in && SOURCE_DATE_EPOCH=1700000000 lade push "$R:dated" notes.md --export-manifest "$WORK/dated.json") > /dev/null
grep -q '"org.opencontainers.image.created":"2023-11-14T22:13:20Z"' dated.json || fail "created from SOURCE_DATE_EPOCH"
pass "pushes are reproducible; SOURCE_DATE_EPOCH sets created"
echo "registry_plain: all passed"
