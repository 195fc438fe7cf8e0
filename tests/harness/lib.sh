# tests/harness/lib.sh - shared by the integration tests and the benchmark.
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 on a free
# port in plain, basic, token, tls or mtls mode, with temporary storage, and
# the scriptable fault server; stops them when the calling script exits.
# Source it; call start_registry MODE or start_fault_server.

set -euo pipefail

: "${LADE:?set LADE to the lade binary}"
HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lade-test.XXXXXX")
PIDS=()
# What lade keeps between runs (which registry has the referrers API) stays with this test:
# ports are reused from test to test, and a registry on one must not answer for another's.
export XDG_CACHE_HOME="$WORK/cache"

cleanup() {
  [ -n "${KEEP_WORK:-}" ] && return 0
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_http() { # url [extra accepted code]; succeeds on 200 or 401 (or the extra code)
  local i code
  for i in $(seq 1 100); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "$1" || true)
    case "$code" in 200|401|${2:-401}) return 0 ;; esac
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2
  return 1
}

# start_registry plain|basic|token|tls|mtls -> sets REGISTRY (host:port), REG_USER, REG_PASS;
# token also sets TOKEN_LOG (the issuer's request log); tls sets CA_FILE; mtls also
# CLIENT_CERT and CLIENT_KEY (the registry requires a client certificate).
# TOKEN_EXPIRES (seconds, default 300) sets the token lifetime.
start_registry() {
  local mode=$1 port dir auth="" tls="" scheme=http
  command -v docker-registry >/dev/null || skip "docker-registry is not installed"
  port=$(free_port)
  dir="$WORK/registry-$port"
  mkdir -p "$dir/storage"
  if [ "$mode" = basic ]; then
    REG_USER=tester
    REG_PASS=s3cret-pass
    htpasswd -Bbc "$dir/htpasswd" "$REG_USER" "$REG_PASS" 2>/dev/null
    auth="auth:
  htpasswd:
    realm: lade-test
    path: $dir/htpasswd"
  elif [ "$mode" = token ]; then
    local tport
    REG_USER=tester
    REG_PASS=s3cret-pass
    tport=$(free_port)
    TOKEN_LOG="$dir/token.log"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token-key.pem" -out "$dir/token-cert.pem" \
      -days 2 -subj /CN=lade-test-token > /dev/null 2>&1
    python3 "$HARNESS_DIR/tokenserver.py" --port "$tport" --key "$dir/token-key.pem" --cert "$dir/token-cert.pem" \
      --user "$REG_USER:$REG_PASS" --service lade-test --issuer lade-test-issuer \
      --expires "${TOKEN_EXPIRES:-300}" --log "$TOKEN_LOG" > "$dir/token.out" 2>&1 &
    PIDS+=($!)
    TOKEN_REALM="http://127.0.0.1:$tport/token"
    wait_for_http "http://127.0.0.1:$tport/token" 200
    auth="auth:
  token:
    realm: $TOKEN_REALM
    service: lade-test
    issuer: lade-test-issuer
    rootcertbundle: $dir/token-cert.pem"
  elif [ "$mode" = tls ] || [ "$mode" = mtls ]; then
    CA_FILE="$dir/ca.pem"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca-key.pem" -out "$CA_FILE" -days 2 \
      -subj /CN=lade-test-ca > /dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/server-key.pem" -out "$dir/server.csr" \
      -subj /CN=localhost > /dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:lade.test\n' > "$dir/san.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$CA_FILE" -CAkey "$dir/ca-key.pem" -CAcreateserial \
      -out "$dir/server.pem" -days 2 -extfile "$dir/san.ext" > /dev/null 2>&1
    tls="  tls:
    certificate: $dir/server.pem
    key: $dir/server-key.pem"
    scheme=https
    if [ "$mode" = mtls ]; then
      # The registry asks for a client certificate signed by the test CA.
      CLIENT_CERT="$dir/client.pem"
      CLIENT_KEY="$dir/client-key.pem"
      openssl req -newkey rsa:2048 -nodes -keyout "$CLIENT_KEY" -out "$dir/client.csr" -subj /CN=lade-client \
        > /dev/null 2>&1
      openssl x509 -req -in "$dir/client.csr" -CA "$CA_FILE" -CAkey "$dir/ca-key.pem" -CAcreateserial \
        -out "$CLIENT_CERT" -days 2 > /dev/null 2>&1
      tls="$tls
    clientcas:
      - $CA_FILE"
    fi
  fi
  cat > "$dir/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: lade-test-secret
$tls
$auth
YML
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  PIDS+=($!)
  REGISTRY=127.0.0.1:$port
  if [ "$mode" = mtls ]; then
    local i
    for i in $(seq 1 100); do
      curl -s --cacert "$CA_FILE" --cert "$CLIENT_CERT" --key "$CLIENT_KEY" -o /dev/null "https://$REGISTRY/v2/" && return 0
      sleep 0.1
    done
    echo "registry at $REGISTRY did not come up" >&2
    return 1
  fi
  wait_for_http "$scheme://$REGISTRY/v2/"
}

# start_fault_server SCRIPT.json [PORT] -> sets FAULT (host:port), FAULT_LOG (requests it got);
# PORT when the script must name the server's own address (a token realm, a redirect).
start_fault_server() {
  local port
  port=${2:-$(free_port)}
  FAULT_LOG="$WORK/fault-$port.log"
  python3 "$HARNESS_DIR/faultserver.py" --port "$port" --script "$1" --log "$FAULT_LOG" > "$WORK/fault-$port.out" 2>&1 &
  PIDS+=($!)
  FAULT=127.0.0.1:$port
  wait_for_http "http://$FAULT/v2/"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
# skip REASON: the test cannot run here (exit 77); under CI, where .ci/install-deps installed everything, a failure.
skip() {
  [ -z "${CI:-}" ] || fail "$1 (CI must have it: .ci/install-deps installs it)"
  echo "SKIP: $1" >&2
  exit 77
}
pass() { echo "ok - $*"; }

# expect_fail STATUS PATTERN -- command...: exit status and stderr must match
expect_fail() {
  local want=$1 pattern=$2 rc=0
  shift 3
  "$@" > "$WORK/.out" 2> "$WORK/.err" || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, wanted $want; stderr: $(cat "$WORK/.err")"
  grep -qE -- "$pattern" "$WORK/.err" || fail "'$*' said '$(cat "$WORK/.err")', wanted /$pattern/"
  grep -q '^lade: ' "$WORK/.err" || fail "'$*' error does not start with 'lade: '"
}
