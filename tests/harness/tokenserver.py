#!/usr/bin/env python3
"""A token issuer for docker-registry's token auth, for the tests.

GET /token?service=&scope=... with Basic credentials grants what is asked;
without credentials it grants "pull" only (anonymous pull), and with wrong
credentials it answers 401. POST /token takes OAuth2 grant_type=password
(access_type=offline adds a refresh token) and grant_type=refresh_token.
Tokens are RS256 JWTs whose header carries the signing certificate (x5c),
which the registry trusts through its rootcertbundle. Signing goes through
the openssl command, so only the standard library is needed. Every request
is logged as a JSON line (method, path, whether it carried credentials).
Binds 127.0.0.1 only; runs until killed.
"""
import argparse
import base64
import http.server
import json
import secrets
import subprocess
import threading
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--user", action="append", default=[], help="name:password")
    ap.add_argument("--service", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    users = dict(u.split(":", 1) for u in args.user)
    der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    x5c = base64.b64encode(der).decode()
    refresh_tokens = {}
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    def sign(subject, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        # The registry accepts tokens for 60 s past "exp" (its leeway); take that off, so a short
        # --expires is as short as it says and the tests can watch a token run out.
        claims = {"iss": args.issuer, "sub": subject, "aud": args.service, "exp": now + args.expires - 60,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=signing_input,
                             capture_output=True, check=True).stdout
        return signing_input.decode() + "." + b64url(sig)

    def grant(scopes, authenticated):
        access = []
        for scope in scopes:
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3:
                    continue
                rtype, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                allowed = actions if authenticated else [a for a in actions if a == "pull"]
                if allowed:
                    access.append({"type": rtype, "name": name, "actions": allowed})
        return access

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def record(self, **extra):
            with lock:
                log.write(json.dumps({"method": self.command, "path": self.path,
                                      "authorization": self.headers.get("Authorization", "").split(" ")[0],
                                      **extra}) + "\n")

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            who = None
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                if users.get(user) != password:
                    self.record(result="rejected")
                    return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                who = user
            elif auth:
                self.record(result="bad scheme")
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "basic only"}]})
            self.record(result="granted", user=who or "", scopes=query.get("scope", []))
            token = sign(who or "anonymous", grant(query.get("scope", []), who is not None))
            self.reply(200, {"token": token, "access_token": token, "expires_in": args.expires,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            kind = form.get("grant_type", [""])[0]
            scopes = form.get("scope", [""])[0].split(" ") if form.get("scope") else []
            who = None
            if kind == "password":
                user, password = form.get("username", [""])[0], form.get("password", [""])[0]
                if users.get(user) == password:
                    who = user
            elif kind == "refresh_token":
                with lock:
                    who = refresh_tokens.get(form.get("refresh_token", [""])[0])
            self.record(result="granted" if who else "rejected", grant_type=kind, user=who or "")
            if not who:
                return self.reply(401, {"error": "invalid_grant"})
            token = sign(who, grant(scopes, True))
            body = {"access_token": token, "expires_in": args.expires, "scope": " ".join(scopes)}
            if kind == "password" and form.get("access_type", [""])[0] == "offline":
                refresh = secrets.token_hex(16)
                with lock:
                    refresh_tokens[refresh] = who
                body["refresh_token"] = refresh
            self.reply(200, body)

    # A refresh token the tests can hand to lade as an identity token.
    if users:
        first = next(iter(users))
        refresh_tokens["identity-" + first] = first
    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
