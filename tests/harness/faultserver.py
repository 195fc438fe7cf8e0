#!/usr/bin/env python3
"""A small scriptable HTTP server for faults a real registry will not make
on demand. It answers from a JSON script and records every request it got
(method, path, headers) as one JSON line per request, so a test can assert
what lade actually sent.

Script: {"rules": [{"method": "GET", "path": "^/v2/x/manifests/.*$",
                    "status": 200, "headers": {"K": "V"},
                    "body": "text" | "body_hex": "..." | "body_file": "path"
                    | "body_repeat": ["x", 5242880],
                    "range": true,       (answer "Range: bytes=N-" with 206)
                    "cut_after": 1000,   (send this many body bytes, then drop the connection)
                    "dribble": 2.0,      (send the body one byte every this many seconds)
                    "max_body": 0,       (match only requests with at most this many body bytes)
                    "times": 1}, ...]}
Rules are tried in order; a rule with "times" is used that many times and
then skipped. Unmatched requests get 404. GET /v2/ answers 200 unless a
rule says otherwise. With "basic_auth": "user:password" at the top level,
every request without those Basic credentials gets 401 and a Basic
challenge first. Runs until killed; binds 127.0.0.1 only.
"""
import argparse
import base64
import http.server
import json
import re
import threading
import time


def load_body(rule):
    if "body_file" in rule:
        with open(rule["body_file"], "rb") as f:
            return f.read()
    if "body_hex" in rule:
        return bytes.fromhex(rule["body_hex"])
    if "body_repeat" in rule:
        text, count = rule["body_repeat"]
        return text.encode() * count
    return rule.get("body", "").encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.script) as f:
        script = json.load(f)
    rules = script["rules"]
    basic = script.get("basic_auth")
    want_auth = "Basic " + base64.b64encode(basic.encode()).decode() if basic else None
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if not size:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(length) if length else b""
            with lock:
                log.write(json.dumps({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers.items()),
                                      "body_length": len(body)}) + "\n")
                chosen = None
                if want_auth and self.headers.get("Authorization") != want_auth:
                    chosen = {"status": 401, "headers": {"WWW-Authenticate": 'Basic realm="fault"'},
                              "body": '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'}
                for rule in rules if chosen is None else []:
                    if rule.get("method", self.command) != self.command:
                        continue
                    if not re.match(rule["path"], self.path):
                        continue
                    if "max_body" in rule and len(body) > rule["max_body"]:
                        continue
                    if "times" in rule:
                        if rule["times"] <= 0:
                            continue
                        rule["times"] -= 1
                    chosen = rule
                    break
            if chosen is None:
                status, headers, payload = (200, {}, b"{}") if self.path == "/v2/" else (404, {}, b"")
            else:
                status, headers, payload = chosen.get("status", 200), chosen.get("headers", {}), load_body(chosen)
            cut = chosen.get("cut_after") if chosen else None
            asked = self.headers.get("Range", "")
            if chosen and chosen.get("range") and asked.startswith("bytes=") and asked.endswith("-"):
                start = int(asked[6:-1])
                headers = dict(headers, **{"Content-Range": f"bytes {start}-{len(payload) - 1}/{len(payload)}"})
                status, payload = 206, payload[start:]
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                if chosen and chosen.get("dribble"):
                    # A server that keeps the connection alive with a byte now and then.
                    for i in range(len(payload)):
                        try:
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(chosen["dribble"])
                    return
                if cut is not None:
                    # Half a body, then the connection goes: what a dropped link looks like.
                    self.wfile.write(payload[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                view = memoryview(payload)
                for at in range(0, len(view), 1 << 20):
                    self.wfile.write(view[at:at + (1 << 20)])

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
