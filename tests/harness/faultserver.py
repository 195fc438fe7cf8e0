#!/usr/bin/env python3
"""A small scriptable HTTP server for faults a real registry will not make
on demand. It answers from a JSON script and records every request it got
(method, path, headers, body length, and in_flight: how many requests
were being answered at once when this one's body had arrived) as one JSON
line per request, so a test can assert what lade actually sent, and how
much of it at once.

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
then skipped. Unmatched requests get 404, unless the script has
"registry": {"page_size": 2, "apply_filter": true}: then they are answered
by a small in-memory registry that has the referrers API (distribution-spec
1.1 §2.10): blobs, uploads, manifests by tag and digest (OCI-Subject on a
PUT with a subject), deletes, tag lists, and /referrers/<digest> in pages of
page_size joined by Link, filtered by ?artifactType= when apply_filter. GET /v2/ answers 200 unless a
rule says otherwise. With "basic_auth": "user:password" at the top level,
every request without those Basic credentials gets 401 and a Basic
challenge first. Runs until killed; binds 127.0.0.1 only.
"""
import argparse
import base64
import hashlib
import http.server
import json
import re
import threading
import time
import urllib.parse


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


class Registry:
    """The in-memory registry behind the rules: what a registry with the referrers API does."""

    def __init__(self, opts):
        self.page_size = opts.get("page_size", 2)
        self.apply_filter = opts.get("apply_filter", True)
        self.blobs, self.manifests, self.tags, self.uploads = {}, {}, {}, {}

    @staticmethod
    def digest(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def referrers(self, name, subject, artifact_type):
        found = []
        for (repo, d), (ctype, data) in sorted(self.manifests.items()):
            m = json.loads(data)
            if repo != name or (m.get("subject") or {}).get("digest") != subject:
                continue
            at = m.get("artifactType") or (m.get("config") or {}).get("mediaType")
            desc = {"mediaType": ctype, "digest": d, "size": len(data)}
            if at:
                desc["artifactType"] = at
            if m.get("annotations"):
                desc["annotations"] = m["annotations"]
            if artifact_type and self.apply_filter and at != artifact_type:
                continue
            found.append(desc)
        return found

    def answer(self, method, path, headers, body):
        """(status, headers, payload), or None when this is not a registry request."""
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        m = re.match(r"^/v2/(.+)/(blobs/uploads|blobs|manifests|referrers|tags)/?(.*)$", url.path)
        if not m:
            return None
        name, kind, ref = m.groups()
        if kind == "blobs/uploads":
            if method == "POST":
                uid = str(len(self.uploads) + 1)
                self.uploads[uid] = b""
                return 202, {"Location": f"/v2/{name}/blobs/uploads/{uid}", "Range": "0-0"}, b""
            data = self.uploads.get(ref, b"") + body
            if method == "PATCH":
                self.uploads[ref] = data
                return 202, {"Location": f"/v2/{name}/blobs/uploads/{ref}", "Range": f"0-{len(data) - 1}"}, b""
            want = query.get("digest", [""])[0]
            if self.digest(data) != want:
                return 400, {}, b'{"errors":[{"code":"DIGEST_INVALID"}]}'
            self.blobs[(name, want)] = data
            return 201, {"Docker-Content-Digest": want, "Location": f"/v2/{name}/blobs/{want}"}, b""
        if kind == "blobs":
            data = self.blobs.get((name, ref))
            if data is None:
                return 404, {}, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}'
            if method == "DELETE":
                del self.blobs[(name, ref)]
                return 202, {}, b""
            return 200, {"Docker-Content-Digest": ref, "Content-Type": "application/octet-stream"}, data
        if kind == "tags":
            tags = sorted(t for (repo, t) in self.tags if repo == name)
            return 200, {"Content-Type": "application/json"}, json.dumps({"name": name, "tags": tags}).encode()
        if kind == "manifests":
            if method == "PUT":
                d = self.digest(body)
                ctype = headers.get("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                self.manifests[(name, d)] = (ctype, body)
                if not ref.startswith("sha256:"):
                    self.tags[(name, ref)] = d
                out = {"Docker-Content-Digest": d, "Location": f"/v2/{name}/manifests/{d}"}
                subject = (json.loads(body).get("subject") or {}).get("digest")
                if subject:
                    out["OCI-Subject"] = subject
                return 201, out, b""
            d = ref if ref.startswith("sha256:") else self.tags.get((name, ref))
            if d is None or (name, d) not in self.manifests:
                return 404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'
            if method == "DELETE":
                del self.manifests[(name, d)]
                for key in [k for k, v in self.tags.items() if k[0] == name and v == d]:
                    del self.tags[key]
                return 202, {}, b""
            ctype, data = self.manifests[(name, d)]
            return 200, {"Content-Type": ctype, "Docker-Content-Digest": d}, data
        # referrers: pages of page_size, joined by Link
        artifact_type = query.get("artifactType", [None])[0]
        found = self.referrers(name, ref, artifact_type)
        page = int(query.get("page", ["0"])[0])
        chunk = found[page * self.page_size:(page + 1) * self.page_size]
        out = {"Content-Type": "application/vnd.oci.image.index.v1+json"}
        if artifact_type and self.apply_filter:
            out["OCI-Filters-Applied"] = "artifactType"
        if (page + 1) * self.page_size < len(found):
            q = urllib.parse.urlencode(dict({"page": page + 1}, **({"artifactType": artifact_type} if artifact_type else {})))
            out["Link"] = f'</v2/{name}/referrers/{ref}?{q}>; rel="next"'
        return 200, out, json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                     "manifests": chunk}).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.script) as f:
        script = json.load(f)
    rules = script["rules"]
    registry = Registry(script["registry"]) if "registry" in script else None
    basic = script.get("basic_auth")
    want_auth = "Basic " + base64.b64encode(basic.encode()).decode() if basic else None
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)
    busy = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_any(self):
            with lock:
                busy[0] += 1
            try:
                self.answer_one()
            finally:
                with lock:
                    busy[0] -= 1

        def answer_one(self):
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
                                      "body_length": len(body), "in_flight": busy[0]}) + "\n")
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
                answer = registry.answer(self.command, self.path, self.headers, body) \
                    if chosen is None and registry else None
            if answer is not None:
                status, headers, payload = answer
            elif chosen is None:
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
