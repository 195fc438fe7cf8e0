"""Builders for hostile test inputs, shared by the integration scripts' Python parts."""
import io
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
