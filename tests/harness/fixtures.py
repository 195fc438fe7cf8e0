"""Builders for test inputs, hostile and plain, shared by the integration scripts' and benchmarks' Python parts."""
import gzip
import hashlib
import io
import json
import os
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


def gzip_tar(name, content, level=9):
    """A gzipped tar of one file, reproducible (USTAR, mtime 0): an image layer's bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mtime = 0
        t.addfile(info, io.BytesIO(content))
    return gzip.compress(buf.getvalue(), compresslevel=level, mtime=0)


class Layout:
    """An OCI image layout written by hand: blobs by digest, images, and an index tagged in index.json."""

    def __init__(self, root):
        self.root = root
        os.makedirs(f"{root}/blobs/sha256", exist_ok=True)

    def put(self, data, media_type):
        """Store a blob; its descriptor."""
        d = hashlib.sha256(data).hexdigest()
        with open(f"{self.root}/blobs/sha256/{d}", "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}

    def image(self, platform, layers):
        """An image manifest of layer descriptors and a config for platform; its descriptor, with the platform."""
        config = dict(platform, rootfs={"type": "layers", "diff_ids": ["sha256:" + "0" * 64] * len(layers)})
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": self.put(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
                        "layers": layers}).encode()
        return dict(self.put(m, "application/vnd.oci.image.manifest.v1+json"), platform=platform)

    def index(self, manifests, tag):
        """An image index of manifests, tagged in index.json (the layout is then complete); its descriptor."""
        idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                          "manifests": manifests}).encode()
        top = dict(self.put(idx, "application/vnd.oci.image.index.v1+json"),
                   annotations={"org.opencontainers.image.ref.name": tag})
        with open(f"{self.root}/index.json", "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [top]}, f)
        with open(f"{self.root}/oci-layout", "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        return top
