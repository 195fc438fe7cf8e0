#!/usr/bin/env bash
# Token auth against docker-registry with a token issuer the test runs:
# anonymous pull, push only with credentials, wrong passwords refused, a
# token that expires mid-run renewed, OAuth2 with an identity token; then
# lade login / logout, a credential helper, and stored credentials that a
# public repository does not need.
source "$(dirname "$0")/../harness/lib.sh"
TOKEN_EXPIRES=2 start_registry token
cd "$WORK"
R="$REGISTRY/team/app"
export DOCKER_CONFIG="$WORK/docker"   # never the user's own config
head -c 3145728 /dev/urandom > three-mib.bin
echo "hello" > hello.txt

expect_fail 1 "authentication required.*(--username|lade login)" -- "$LADE" push --plain-http "$R:v1" hello.txt
expect_fail 1 "credentials rejected by the token service" -- "$LADE" push --plain-http -u "$REG_USER" -p wrong "$R:v1" hello.txt
grep -q wrong "$WORK/.err" && fail "the password was printed"
pass "anonymous push and a wrong password are refused with clear messages"

: > "$TOKEN_LOG"
# 3 MiB at 1 MiB/s outlives the 2-second tokens: the manifest PUT needs a fresh one.
"$LADE" push --plain-http -u "$REG_USER" -p "$REG_PASS" --limit-rate 1M "$R:v1" three-mib.bin hello.txt > push.out ||
  fail "push with credentials: $(cat push.out)"
grants=$(grep -c '"user": "tester"' "$TOKEN_LOG")
[ "$grants" -ge 2 ] || fail "the token was not renewed during the run ($grants grants)"
pass "push with credentials; a token that expired mid-run was renewed ($grants token grants)"

rm -rf anon && "$LADE" pull --plain-http "$R:v1" -o anon > /dev/null || fail "anonymous pull"
cmp three-mib.bin anon/three-mib.bin || fail "anonymous pull differs"
grep -q '"user": "", "scopes": \["repository:team/app:pull"\]' "$TOKEN_LOG" || fail "no anonymous pull token was asked for"
pass "anonymous pull is allowed"

: > "$TOKEN_LOG"
rm -rf oauth && "$LADE" pull --plain-http --identity-token "identity-$REG_USER" "$R:v1" -o oauth > /dev/null ||
  fail "pull with an identity token"
grep -q '"method": "POST".*"grant_type": "refresh_token"' "$TOKEN_LOG" || fail "no OAuth2 refresh_token POST"
pass "an identity token is exchanged through the OAuth2 POST"

# lade login stores in $DOCKER_CONFIG/config.json, keeping other keys, mode 0600.
mkdir -p "$DOCKER_CONFIG"
echo '{"proxies": {"default": {"noProxy": "example.com"}}, "auths": {"other.example.com": {"auth": "eDp5"}}}' > "$DOCKER_CONFIG/config.json"
expect_fail 1 "credentials rejected" -- "$LADE" login --plain-http -u "$REG_USER" -p nope "$REGISTRY"
printf '%s\n' "$REG_PASS" | "$LADE" login --plain-http -u "$REG_USER" --password-stdin "$REGISTRY" > login.out ||
  fail "login: $(cat login.out)"
[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ] || fail "config.json is not mode 0600"
python3 - "$DOCKER_CONFIG/config.json" "$REGISTRY" <<'PY' || fail "config.json after login is wrong"
import base64, json, sys
c = json.load(open(sys.argv[1]))
assert c["proxies"] == {"default": {"noProxy": "example.com"}}, c
assert c["auths"]["other.example.com"] == {"auth": "eDp5"}, c
assert base64.b64decode(c["auths"][sys.argv[2]]["auth"]) == b"tester:s3cret-pass", c
PY
"$LADE" push --plain-http "$R:v2" hello.txt > /dev/null || fail "push with stored credentials"
"$LADE" logout "$REGISTRY" > /dev/null || fail "logout"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert sys.argv[2] not in c["auths"] and "other.example.com" in c["auths"]' \
  "$DOCKER_CONFIG/config.json" "$REGISTRY" || fail "logout removed the wrong entries"
expect_fail 1 "authentication required" -- "$LADE" push --plain-http "$R:v3" hello.txt
pass "login (verified first) then push with no credential flags; logout; other keys kept, mode 0600"

# Stored credentials that are wrong do not stop a pull of a public repository (ORAS #1161).
python3 - "$DOCKER_CONFIG/config.json" "$REGISTRY" <<'PY'
import base64, json, sys
c = json.load(open(sys.argv[1]))
c["auths"][sys.argv[2]] = {"auth": base64.b64encode(b"tester:stale").decode()}
json.dump(c, open(sys.argv[1], "w"))
PY
rm -rf stale && "$LADE" pull --plain-http "$R:v1" -o stale > /dev/null || fail "pull with stale stored credentials"
cmp hello.txt stale/hello.txt || fail "stale-credential pull differs"
pass "rejected stored credentials fall back to anonymous for a public repository"

# A credential helper: docker-credential-test keeps its secrets in a file and logs each call.
mkdir -p bin
cat > bin/docker-credential-test <<'SH'
#!/usr/bin/env bash
input=$(cat)
printf '%s %s\n' "$1" "$input" >> "$HELPER_LOG"
case "$1" in
  store) printf '%s' "$input" > "$HELPER_STORE" ;;
  get) if [ -s "$HELPER_STORE" ]; then cat "$HELPER_STORE"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) : > "$HELPER_STORE" ;;
  list) echo '{}' ;;
esac
SH
chmod +x bin/docker-credential-test
export PATH="$WORK/bin:$PATH" HELPER_LOG="$WORK/helper.log" HELPER_STORE="$WORK/helper.store"
echo "{\"credHelpers\": {\"$REGISTRY\": \"test\"}, \"auths\": {}}" > "$DOCKER_CONFIG/config.json"
printf '%s\n' "$REG_PASS" | "$LADE" login --plain-http -u "$REG_USER" --password-stdin "$REGISTRY" > /dev/null ||
  fail "login through the helper"
grep -q "^store {\"ServerURL\":\"$REGISTRY\",\"Username\":\"tester\",\"Secret\":\"s3cret-pass\"}\$" "$HELPER_LOG" ||
  fail "the helper was not asked to store with the right JSON: $(cat "$HELPER_LOG")"
grep -q '"auths": {}' "$DOCKER_CONFIG/config.json" || ! grep -q tester "$DOCKER_CONFIG/config.json" ||
  fail "the password went into config.json despite the helper"
"$LADE" push --plain-http "$R:v4" hello.txt > /dev/null || fail "push with the helper's credentials"
grep -q "^get $REGISTRY\$" "$HELPER_LOG" || fail "the helper was not asked with get <server>"
"$LADE" logout "$REGISTRY" > /dev/null && grep -q "^erase $REGISTRY\$" "$HELPER_LOG" || fail "logout did not erase"
pass "a docker-credential-test helper is called with the store/get/erase protocol"
echo "registry_token: all passed"
