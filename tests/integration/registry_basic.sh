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
echo "registry_basic: all passed"
