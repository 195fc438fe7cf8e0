#!/usr/bin/env bash
# Charts in every layout Helm's loader accepts, modelled on Helm's own test
# data (pkg/chart/loader/testdata, cmd/helm/testdata): each is recognised,
# pushed with oci://host/ns as helm push does, and its manifest and config
# bytes equal what Helm's code writes for the same .tgz and time (helmref,
# built from Debian's Go packages). Then `pull --version` picks across a
# real registry's tag list as helm pull does.
source "$(dirname "$0")/../harness/lib.sh"
command -v go > /dev/null || skip "go (Debian golang-go) is not installed"
[ -d /usr/share/gocode/src/sigs.k8s.io/yaml ] || skip "golang-k8s-sigs-yaml-dev is not installed"
export TZ=UTC
start_registry plain
cd "$WORK"
cp -r "$LADE_SOURCE_DIR/tests/tools/helmref" helmref
(cd helmref && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$WORK/gocache" go build -o "$WORK/helmref.bin" .) ||
  fail "helmref does not build"

mkdir charts
python3 - <<'PY'
import io, tarfile, gzip, time
MTIME = 1700000000
def tgz(path, entries, fmt=tarfile.GNU_FORMAT, pax=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=pax) as t:
        for e in entries:
            name, data = e[0], e[1]
            info = tarfile.TarInfo(name)
            info.mtime = e[2] if len(e) > 2 else MTIME
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), mtime=0))

def chart_yaml(name, version, extra=""):
    return (f"apiVersion: v2\nname: {name}\nversion: {version}\n" + extra).encode()

values = b"replicaCount: 1\n"
tpl = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
# helm package: files only, Chart.yaml first, zero times inside (the case that gave 1970 created before)
tgz("charts/packaged-0.1.0.tgz", [("packaged/Chart.yaml", chart_yaml("packaged", "0.1.0",
    "description: A Helm chart for Kubernetes\ntype: application\nappVersion: \"1.16.0\"\n"), 0),
    ("packaged/values.yaml", values, 0), ("packaged/templates/cm.yaml", tpl, 0)])
# tar -czf of a folder: directory entries first
tgz("charts/dirs-1.0.0.tgz", [("dirs/", None), ("dirs/templates/", None), ("dirs/Chart.yaml", chart_yaml("dirs", "1.0.0")),
    ("dirs/values.yaml", values), ("dirs/templates/cm.yaml", tpl)])
# a folder named otherwise than the chart (frobnitz.v1 holds frobnitz); Chart.yaml not first
tgz("charts/frobnitz-1.2.3.tgz", [("frobnitz.v1/values.yaml", values), ("frobnitz.v1/Chart.yaml", chart_yaml("frobnitz", "1.2.3",
    "description: This is a frobnitz.\nkeywords: [frobnitz, sprocket, dodad]\nmaintainers:\n  - name: The Helm Team\n"
    "    email: helm@example.com\n  - name: Someone Else\n    email: nobody@example.com\nsources: [https://example.com/foo/bar]\n"
    "home: http://example.com\nicon: https://example.com/64x64.png\nannotations:\n  extrakey: extravalue\n  anotherkey: anothervalue\n")),
    ("frobnitz.v1/charts/mariner/Chart.yaml", chart_yaml("mariner", "4.3.2")), ("frobnitz.v1/templates/template.tpl", tpl)])
# Helm 2: no apiVersion, dependencies in requirements.yaml
tgz("charts/albatross-0.1.0.tgz", [("albatross/Chart.yaml", b"name: albatross\ndescription: A Helm 2 chart\nversion: 0.1.0\n"),
    ("albatross/requirements.yaml", b"dependencies:\n  - name: alpine\n    version: \"0.1.0\"\n    repository: https://example.com/charts\n"
     b"  - name: mariner\n    version: \"4.3.2\"\n    repository: https://example.com/charts\n    condition: mariner.enabled\n"
     b"    tags: [front-end, back-end]\n    import-values:\n      - child: data\n        parent: imported\n"),
    ("albatross/requirements.lock", b"dependencies: []\ndigest: sha256:0\ngenerated: 2019-01-01T00:00:00Z\n"),
    ("albatross/values.yaml", values)])
# a UTF-8 BOM in Chart.yaml
tgz("charts/bom-0.2.0.tgz", [("bom/Chart.yaml", b"\xef\xbb\xbf" + chart_yaml("bom", "0.2.0", "description: has a BOM\n")),
    ("bom/values.yaml", b"\xef\xbb\xbf" + values)])
# Windows separators
tgz("charts/backslash-0.3.0.tgz", [("backslash\\Chart.yaml", chart_yaml("backslash", "0.3.0")),
    ("backslash\\templates\\cm.yaml", tpl)])
# version ranges, kubeVersion, annotations that need escaping, a +build version, a provenance file
tgz("charts/ranges-1.2.3+build.5.tgz", [("ranges/Chart.yaml", chart_yaml("ranges", "1.2.3+build.5",
    "kubeVersion: \">=1.22.0-0 <1.31.0-0\"\ndescription: Uses <ranges> & such\nappVersion: 2.10\n"
    "annotations:\n  artifacthub.io/changes: |\n    - kind: added\n      description: \"<b>bold</b> & more\"\n"
    "  artifacthub.io/license: Apache-2.0\n  org.opencontainers.image.title: ignored\n  org.opencontainers.image.source: https://override\n"
    "dependencies:\n  - name: common\n    version: \">=1.0.0 <2.0.0\"\n    repository: oci://registry/charts\n"
    "  - name: redis\n    version: ~17.3\n    repository: https://charts.bitnami.com/bitnami\n    alias: cache\n")),
    ("ranges/values.yaml", values)])
with open("charts/ranges-1.2.3+build.5.tgz.prov", "w") as f:
    f.write("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: ranges\n-----BEGIN PGP SIGNATURE-----\n")
# PAX: a global header and long, non-ASCII names
tgz("charts/paxchart-0.4.0.tgz", [("paxchart/Chart.yaml", chart_yaml("paxchart", "0.4.0", "description: caf\u00e9\n")),
    ("paxchart/templates/" + "x" * 120 + "-\u00fc.yaml", tpl)], fmt=tarfile.PAX_FORMAT, pax={"comment": "global"})
# a Helm 2 chart with a lenient version (Masterminds reads 1.2 as 1.2.0)
tgz("charts/lenient-1.2.tgz", [("lenient/Chart.yaml", b"apiVersion: v1\nname: lenient\nversion: \"1.2\"\n")])
PY
touch -d '2024-05-06 07:08:09 UTC' charts/*.tgz

pushed=0
for tgz in charts/*.tgz; do
  out=$("$LADE" push --plain-http "oci://$REGISTRY/helm" "$tgz" 2>&1) || fail "push $tgz: $out"
  echo "$out" | grep -q '^Kind: helm' || fail "$tgz was not recognised as a chart: $out"
  ref=$(echo "$out" | sed -n 's/^Pushed \(.*\)$/\1/p')
  [ -n "$ref" ] || fail "no 'Pushed' line for $tgz: $out"
  "$LADE" manifest fetch --plain-http "$ref" > got-manifest.json || fail "manifest fetch $ref"
  "$WORK/helmref.bin" push "$tgz" "2024-05-06T07:08:09Z" > want.txt 2> want.err || fail "helmref: $(cat want.err)"
  sed -n 1p want.txt | tr -d '\n' > want-config.json
  sed -n 2p want.txt | tr -d '\n' > want-manifest.json
  config_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' got-manifest.json)
  "$LADE" blob fetch --plain-http "${ref%:*}@$config_digest" -o got-config.json || fail "config fetch"
  cmp -s want-config.json got-config.json || { diff <(cat want-config.json; echo) <(cat got-config.json; echo) >&2; fail "$tgz: config differs from Helm's"; }
  cmp -s want-manifest.json got-manifest.json || { diff <(cat want-manifest.json; echo) <(cat got-manifest.json; echo) >&2; fail "$tgz: manifest differs from Helm's"; }
  pushed=$((pushed + 1))
done
pass "$pushed charts (folder entries, other folder names, Helm 2 + requirements.yaml, BOM, '\\', PAX, ranges, prov, lenient versions): manifest and config bytes equal Helm's"

# ---------- pull by version, as helm pull ----------
R="oci://$REGISTRY/vers"
python3 - <<'PY'
import io, tarfile, gzip
for v in ["1.0.0", "1.2.0", "1.2.3+build.7", "1.3.0-rc.1", "2.0.0-beta.1", "0.9.0"]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = f"apiVersion: v2\nname: app\nversion: {v}\n".encode()
        info = tarfile.TarInfo("app/Chart.yaml"); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    open(f"app-{v}.tgz", "wb").write(gzip.compress(buf.getvalue(), mtime=0))
PY
for v in 1.0.0 1.2.0 1.2.3+build.7 1.3.0-rc.1 2.0.0-beta.1 0.9.0; do
  "$LADE" push --plain-http "$R" "app-$v.tgz" > /dev/null || fail "push app $v"
done
# a tag that is not a version is ignored by the pick
"$LADE" push --plain-http "$REGISTRY/vers/app:latest" app-0.9.0.tgz > /dev/null
pick() { # expected-file args...
  local want=$1; shift
  rm -rf out && "$LADE" pull --plain-http -o out "$@" > pull.log 2>&1 || fail "pull $*: $(cat pull.log)"
  [ -f "out/$want" ] || fail "pull $* gave $(ls out) (wanted $want)"
  cmp -s "out/$want" "${want}" || fail "pull $*: $want differs from what was pushed"
}
pick app-1.2.3+build.7.tgz "$R/app"                       # newest release, pre-releases left out
pick app-1.2.3+build.7.tgz "$R/app" --version '^1.2'
pick app-1.2.0.tgz "$R/app" --version '~1.2.0 <1.2.3'
pick app-1.3.0-rc.1.tgz "$R/app" --version '~1.3.0-0'
pick app-1.0.0.tgz "$R/app" --version '1.0.0'
pick app-1.2.3+build.7.tgz "$R/app:1.2.3+build.7"
pick app-1.2.3+build.7.tgz "$R/app" --version '1.2.3+build.7'
pick app-2.0.0-beta.1.tgz "$R/app" --version '^2.0.0-0'
pick app-0.9.0.tgz "$REGISTRY/vers/app" --version '<1'
expect_fail 1 "no tag matches version '>=3'" -- "$LADE" pull --plain-http -o out "$R/app" --version '>=3'
expect_fail 2 "not --version" -- "$LADE" pull --plain-http -o out "$R/app:1.0.0" --version 1.2.0
pass "pull --version picks as helm pull: newest strict-semver tag meeting the constraint, '_' read as '+', no pre-releases unless asked"
