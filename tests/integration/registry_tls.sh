#!/usr/bin/env bash
# HTTPS with a test CA: --ca-file and --insecure work, neither is refused;
# --resolve reaches a name the resolver does not know.
source "$(dirname "$0")/../harness/lib.sh"
start_registry tls
cd "$WORK"
R="$REGISTRY/secure/files"
head -c 100000 /dev/urandom > data.bin

expect_fail 1 "certificate|SSL" -- "$LADE" push "$R:v1" data.bin
pass "an unknown CA is refused"

"$LADE" push --ca-file "$CA_FILE" "$R:v1" data.bin > /dev/null || fail "push with --ca-file"
rm -rf out && "$LADE" pull --insecure "$R:v1" -o out > /dev/null || fail "pull with --insecure"
cmp data.bin out/data.bin || fail "TLS round trip differs"
pass "push with --ca-file, pull with --insecure"

port=${REGISTRY##*:}
rm -rf out2 && "$LADE" pull --ca-file "$CA_FILE" --resolve "lade.test:$port:127.0.0.1" "lade.test:$port/secure/files:v1" -o out2 \
  > /dev/null || fail "pull through --resolve"
cmp data.bin out2/data.bin || fail "--resolve round trip differs"
pass "--resolve with the certificate's name"
# Mutual TLS: a second registry that wants a client certificate.
start_registry mtls
expect_fail 1 "SSL|certificate|handshake|Recv failure|reset" -- "$LADE" push --ca-file "$CA_FILE" "$REGISTRY/m/files:v1" data.bin
"$LADE" push --ca-file "$CA_FILE" --cert-file "$CLIENT_CERT" --key-file "$CLIENT_KEY" "$REGISTRY/m/files:v1" data.bin \
  > /dev/null || fail "push with a client certificate"
rm -rf out3 && "$LADE" pull --ca-file "$CA_FILE" --cert-file "$CLIENT_CERT" --key-file "$CLIENT_KEY" "$REGISTRY/m/files:v1" \
  -o out3 > /dev/null && cmp data.bin out3/data.bin || fail "mTLS round trip"
pass "mutual TLS: refused without a client certificate, works with --cert-file and --key-file"
echo "registry_tls: all passed"
