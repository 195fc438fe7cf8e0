#!/usr/bin/env bash
# lade login on a terminal: asks for the user name, then the password
# without echo, verifies them against the registry, and stores them.
source "$(dirname "$0")/../harness/lib.sh"
start_registry basic
export DOCKER_CONFIG="$WORK/docker"
python3 - "$LADE" "$REGISTRY" "$REG_USER" "$REG_PASS" > "$WORK/tty.out" <<'PY' || fail "login on a terminal: $(cat "$WORK/tty.out")"
import os, pty, select, signal, sys, time
lade, reg, user, password = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(lade, [lade, "login", "--plain-http", reg])
out = b""
def read_until(token, timeout=15):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if token not in out:
        os.kill(pid, signal.SIGKILL)
        print(f"waited for {token!r}, saw: {out.decode(errors='replace')!r}"); sys.exit(1)
read_until(b"Username: "); os.write(fd, user.encode() + b"\n")
read_until(b"Password: "); os.write(fd, password.encode() + b"\n")
read_until(b"Login Succeeded")
_, status = os.waitpid(pid, 0)
assert os.WEXITSTATUS(status) == 0, status
assert password.encode() not in out, "the password was echoed"
print("ok")
PY
python3 -c 'import base64,json,sys; c=json.load(open(sys.argv[1])); assert base64.b64decode(c["auths"][sys.argv[2]]["auth"]) == sys.argv[3].encode()' \
  "$DOCKER_CONFIG/config.json" "$REGISTRY" "$REG_USER:$REG_PASS" || fail "the prompted credentials were not stored"
pass "login prompts on the terminal, the password without echo, and stores what was typed"
echo "login_tty: all passed"
