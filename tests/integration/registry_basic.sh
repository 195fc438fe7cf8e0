#!/usr/bin/env bash
# HTTP Basic auth against a real docker-registry with an htpasswd file.
source "$(dirname "$0")/../harness/lib.sh"
start_registry basic
cd "$WORK"
R="$REGISTRY/lade/secure"
echo "secret payload" > payload.txt

expect_fail 1 "requires credentials" -- "$LADE" push --plain-http "$R:v1" payload.txt
pass "no credentials: a clear message"

expect_fail 1 "credentials rejected" -- "$LADE" push --plain-http -u "$REG_USER" -p wrong-password "$R:v1" payload.txt
grep -q "wrong-password" "$WORK/.err" && fail "the password was printed"
pass "wrong credentials: refused, password not printed"

"$LADE" push --plain-http -u "$REG_USER" -p "$REG_PASS" "$R:v1" payload.txt > /dev/null || fail "push with -u/-p"
printf '%s\n' "$REG_PASS" | "$LADE" pull --plain-http -u "$REG_USER" --password-stdin "$R:v1" -o out1 > /dev/null ||
  fail "pull with --password-stdin"
cmp payload.txt out1/payload.txt || fail "payload differs"
LADE_USERNAME=$REG_USER LADE_PASSWORD=$REG_PASS "$LADE" pull --plain-http "$R:v1" -o out2 > /dev/null ||
  fail "pull with LADE_USERNAME/LADE_PASSWORD"
cmp payload.txt out2/payload.txt || fail "payload differs (env credentials)"
[ "$(LADE_USERNAME=$REG_USER LADE_PASSWORD=$REG_PASS "$LADE" repo tags --plain-http "$R")" = v1 ] || fail "tags with auth"
pass "push and pull with basic auth (flags, stdin, environment)"

"$LADE" pull --plain-http --debug -u "$REG_USER" -p "$REG_PASS" "$R:v1" -o out3 > /dev/null 2> debug.err || fail "pull --debug"
grep -q '^lade: debug: > GET /v2/lade/secure/manifests/v1 HTTP/1.1' debug.err || fail "--debug does not trace requests"
grep -q '^lade: debug: > Authorization: <redacted>' debug.err || fail "--debug shows no redacted Authorization"
secret=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)
grep -q -e "$REG_PASS" -e "$secret" debug.err && fail "--debug printed the credentials"
pass "--debug traces requests with Authorization redacted"
echo "registry_basic: all passed"
