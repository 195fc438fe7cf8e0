"""Builders for hostile test inputs, shared by the integration scripts' Python parts."""
import hashlib
import io
import json
import tarfile


def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    """A tar of entries: dicts with name, and optional data, type, link, mode."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            data = e.get("data")
            info.type = e.get("type", tarfile.REGTYPE)
            info.linkname = e.get("link", "")
            info.mode = e.get("mode", 0o644)
            if data is not None:
                info.size = len(data)
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def digest(content):
    """The OCI digest of bytes."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def layer(content, title):
    """A titled octet-stream layer descriptor for content."""
    return {"mediaType": "application/octet-stream", "digest": digest(content), "size": len(content),
            "annotations": {"org.opencontainers.image.title": title}}


def manifest_rules(rules, repo, layers):
    """Fault-server rules that serve an artifact manifest of layers as <repo>:v1 and by digest, HEAD and GET."""
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "artifactType": "application/vnd.test",
                    "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest(b"{}"), "size": 2},
                    "layers": layers}, separators=(",", ":"))
    h = {"Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": digest(m.encode())}
    for method in ("HEAD", "GET"):
        rules.append({"method": method, "path": f"^/v2/{repo}/manifests/(v1|{digest(m.encode())})$", "status": 200,
                      "headers": h, "body": m})
