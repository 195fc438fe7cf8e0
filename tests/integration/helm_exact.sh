#!/usr/bin/env bash
# Helm's exact bytes and choices, checked against Go: a table of Chart.yaml
# inputs goes through lade (tests/tools/helm_config) and through helmref, a
# small Go program built offline from Debian's Go packages with the very
# libraries Helm uses (sigs.k8s.io/yaml, encoding/json, Masterminds semver);
# the config bytes (or the refusal) must agree. Then a tag list: `--version`
# constraints must pick what Helm's registry client picks.
source "$(dirname "$0")/../harness/lib.sh"
command -v go > /dev/null || skip "go (Debian golang-go) is not installed"
[ -d /usr/share/gocode/src/sigs.k8s.io/yaml ] || skip "golang-k8s-sigs-yaml-dev is not installed"
HELM_CONFIG="$LADE_BUILD_DIR/tests/helm_config"
cd "$WORK"
cp -r "$LADE_SOURCE_DIR/tests/tools/helmref" helmref
(cd helmref && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$WORK/gocache" go build -o "$WORK/helmref.bin" .) ||
  fail "helmref does not build"

mkdir cases
python3 - <<'PY'
import os
cases = {}
def case(name, text, req=None):
    cases[name] = (text, req)

base = "apiVersion: v2\nname: demo\nversion: 1.2.3\n"
case("minimal", base)
case("helm-create", base + "description: A Helm chart for Kubernetes\ntype: application\nappVersion: \"1.16.0\"\n")
case("field-order", "type: library\ndependencies: []\nkubeVersion: '>=1.20.0-0'\nannotations: {b: '2', a: '1'}\n"
     "deprecated: true\nappVersion: 1.0.0\ntags: t\ncondition: c\napiVersion: v2\nicon: https://x/i.png\n"
     "maintainers: [{name: n, email: e@x, url: https://u}]\nkeywords: [k1, k2]\ndescription: d\nversion: 0.1.0\n"
     "sources: [https://s1, https://s2]\nhome: https://h\nname: order\n")
case("ranges-html", base + "kubeVersion: \">= 1.19.0 < 1.30.0 && <2\"\ndescription: 'a <b> & c'\n"
     "annotations:\n  artifacthub.io/links: |\n    - name: <src>\n      url: https://x?a=1&b=2\n")
case("unicode", base + "description: \"caf\u00e9 \u2028 line \u2029 para \u00a0nbsp \u200b zero-width \u202e rtl \U0001F600\"\n"
     "annotations: {k: \"a\u2028b \u200b \\b \\f \\x01 \\x7f \\t\"}\n")
case("tabs-controls", base + "description: \"tab\\there\\nnew line\\rcr \\x07 bell \\x1b esc\"\nhome: \"\\thttps://h \"\n")
case("empty-null", base + "description:\nhome: ~\nicon: null\nsources: []\nkeywords:\nmaintainers: []\nannotations: {}\n"
     "appVersion: ''\ntype: ''\n")
case("many-keys", base + "annotations:\n" + "".join(f"  key{i:03d}: v{i}\n" for i in range(150, 0, -1)))
case("float-like", "apiVersion: v2\nname: demo\nversion: 1.10\nappVersion: 1.20\nkubeVersion: 1.0\n"
     "description: 3.14159265358979\nannotations: {a: 1.5e10, b: 1e6, c: 123456, d: 1234567.0, e: 0.00001, f: .5, g: -0.0}\n")
case("ints", "apiVersion: v2\nname: demo\nversion: 2\nappVersion: 010\ndescription: 0x1F\nhome: 1_000\n"
     "icon: 9223372036854775807\ncondition: 18446744073709551615\ntags: 99999999999999999999\nkeywords: [08, 0o17, 0b101, -0b11, +5, -7]\n")
case("yaml11-bools", base + "deprecated: yes\ndescription: no\nhome: on\nicon: off\nkeywords: [y, n, True, FALSE]\n")
case("bool-string", base + "deprecated: \"true\"\n")
case("bool-number", base + "deprecated: 1\n")
case("timestamps", base + "appVersion: 2021-01-02\ndescription: 2001-12-14t21:59:43.10-05:00\n")
case("anchors", "apiVersion: v2\nname: &n demo\nversion: 1.0.0\ndescription: *n\nkeywords: &k [a, b]\n"
     "annotations: {x: *n}\ndependencies:\n- name: a\n  repository: r\n  tags: *k\n")
case("case-insensitive", "APIVERSION: v2\nName: demo\nVERSION: 1.0.0\nDescription: D\ndescription: d\n")
case("duplicate-keys", base + "description: first\ndescription: second\n")
case("unknown-fields", base + "extra: {nested: [1, 2, {a: b}]}\nfoo: bar\n")
case("unknown-nan", base + "extra: .nan\n")
case("unknown-inf-string", base + "description: .inf\nappVersion: -.Inf\n")
case("wrong-type-sources", base + "sources: https://x\n")
case("wrong-type-name", "apiVersion: v2\nname: [a]\nversion: 1.0.0\n")
case("wrong-type-maint", base + "maintainers: [bob]\n")
case("null-maintainer", base + "maintainers: [~]\n")
case("maintainers", base + "maintainers:\n- name: John Snow\n  email: john@winterfell.com\n- {email: only@x}\n- name: \"\\ttabbed\\u200b\"\n")
case("deps", base + "dependencies:\n- name: redis\n  version: '>=1.0.0'\n  repository: https://charts\n"
     "  condition: redis.enabled\n  tags: [cache]\n  enabled: true\n  import-values:\n  - child: a.b\n    parent: c\n"
     "  - data\n  - {z: 1, a: 2.5, m: [true, null, 1e21, 0.000001, 1e-7]}\n  alias: my-redis\n- name: pg\n  repository: ''\n")
case("dep-bad-alias", base + "dependencies:\n- name: a\n  repository: r\n  alias: 'bad alias'\n")
case("dep-dup", base + "dependencies:\n- name: a\n  repository: r\n- name: b\n  alias: a\n  repository: r\n")
case("dep-null", base + "dependencies: [null]\n")
case("bom", "\ufeff" + base + "description: with bom\n")
case("v1-no-apiversion", "name: old\nversion: 0.1.0\ndescription: Helm 2 chart\n",
     "dependencies:\n- name: mariadb\n  version: 7.x.x\n  repository: https://kubernetes-charts.storage.googleapis.com/\n  condition: mariadb.enabled\n  tags: [wordpress-database]\n")
case("v2-requirements", base, "dependencies:\n- name: x\n  repository: '@stable'\n")
case("requirements-null", base + "dependencies: [{name: a, repository: r}]\n", "dependencies:\n")
case("explicit-tags", base + "appVersion: !!str 1.10\ndescription: !!str yes\nhome: !!int 10\n")
case("flow-and-comments", "{apiVersion: v2, name: demo, version: 1.2.3, # comment\n description: \"x\"}\n")
case("multi-doc", base + "---\nname: other\n")
case("empty-file", "")
case("root-list", "- a\n- b\n")
case("root-scalar", "hello\n")
case("type-bad", base + "type: service\n")
case("type-library", base + "type: library\n")
case("version-lenient", "apiVersion: v2\nname: demo\nversion: v1.2\n")
case("version-leading-zero", "apiVersion: v2\nname: demo\nversion: 01.2.3\n")
case("version-pre-zero", "apiVersion: v2\nname: demo\nversion: 1.2.3-01\n")
case("version-build", "apiVersion: v2\nname: demo\nversion: 1.2.3-rc.1+build.5\n")
case("version-bad", "apiVersion: v2\nname: demo\nversion: 1.2.3.4\n")
case("name-slash", "apiVersion: v2\nname: a/b\nversion: 1.0.0\n")
case("name-root", "apiVersion: v2\nname: /\nversion: 1.0.0\n")
case("name-dots", "apiVersion: v2\nname: ..\nversion: 1.0.0\n")
case("no-version", "apiVersion: v2\nname: demo\n")
case("keys-numeric", base + "annotations: {1: a, 2.5: b, true: c, 1e3: d}\n")
case("annotation-values", base + "annotations: {n: null, i: 5, f: 1.0, b: yes, s: ''}\n")
case("annotation-list", base + "annotations: {a: [1]}\n")
case("invalid-utf8", None)
for i, v in enumerate(["1.2.3-", "1.2.3+", "v1", "V1.2.3", "1.2.3-alpha..1", "1.2.3-0a", "1.2.3-00", "1.2.3-0",
                       "18446744073709551616.0.0", "18446744073709551615.0.0", "1.2.3-beta+exp.sha.5114f85",
                       "1.0.0-x-y-z.--", "1.2.3+build.01", "01.02.03", "1.2.3 ", " 1.2.3", "1..2", "1.2.3-rc.1_b", "\"1e3\"",
                       "0.0.0", "v0.1", "1.2.3+-", "1.2.3-+"]):
    case(f"version-{i:02d}", f"apiVersion: v2\nname: demo\nversion: '{v}'\n" if '"' not in v else f"apiVersion: v2\nname: demo\nversion: {v}\n")
case("keywords-mixed", base + "keywords: [1, 2.50, true, null, ~, '']\n")
for name, (text, req) in cases.items():
    os.makedirs(f"cases/{name}")
    with open(f"cases/{name}/Chart.yaml", "wb") as f:
        if text is None:
            f.write((base + "description: \"").encode() + b"bad \xff\xfe utf8 \xed\xa0\x80 surrogate\"\n"
                    + b"annotations: {k: \"\xc0\xaf overlong\"}\n")
        else:
            f.write(text.encode())
    if req is not None:
        with open(f"cases/{name}/requirements.yaml", "w") as f:
            f.write(req)
PY

# Go 1.22 began writing \b and \f as such (Helm releases are built with newer Go than Debian 12's 1.19).
modern_escapes() {
  case "$(go env GOVERSION)" in
    go1.1[0-9]*|go1.2[01]*) sed -e 's/\\u0008/\\b/g' -e 's/\\u000c/\\f/g' ;;
    *) cat ;;
  esac
}
agree=0
for dir in cases/*/; do
  name=$(basename "$dir")
  args=("$dir/Chart.yaml")
  [ -f "$dir/requirements.yaml" ] && args+=("$dir/requirements.yaml")
  "$WORK/helmref.bin" config "${args[@]}" 2> "$dir/go.err" | modern_escapes > "$dir/go.out"
  "$HELM_CONFIG" config "${args[@]}" > "$dir/lade.out" 2> "$dir/lade.err"
  if ! cmp -s "$dir/go.out" "$dir/lade.out"; then
    echo "--- $name: Go (Helm's libraries) wrote:" >&2; cat "$dir/go.out" "$dir/go.err" >&2
    echo "--- lade wrote:" >&2; cat "$dir/lade.out" "$dir/lade.err" >&2
    fail "Chart.yaml case '$name': lade's config differs from Helm's"
  fi
  agree=$((agree + 1))
done
pass "$agree Chart.yaml cases: config bytes (or refusal) equal to Go's encoding of Helm's Metadata"

# ---------- --version: Helm's pick among tags ----------
cat > tags <<'T'
1.0.0
1.2.0
1.2.3
1.2.4-rc.1
1.2.10
1.3.0_build.7
1.3.0
1.10.0-alpha
2.0.0-beta.2
2.0.0_meta
v3.0.0
3.0
latest
sha256-abc
0.9.0
0.0.3
0.1.5
1.2.3_exact
T
picked=0
for constraint in "" "1.2.3" "^1.2" "1.2.3 - 1.3" ">= 1.2, < 1.3 || >= 2.0.0-0" "~1" "^0.0" "<=1.2.x" "!=1.2.x" \
  "x" "X.X" "v1.2" "=v1.2.3" ">=1.2.3-rc.0 <=1.2.4-rc.2" "1.2.3-rc.1" "~1.2.3-beta" "^1.2.3-alpha" ">1.x" "<2.x" \
  "1.2.3 || 2.0.0_meta" ">=01.2" "1.2.3.4" "^" "||" ">=1.0.0 <=1.2.3 ||" \ "~1.2.0" ">=1.0 <2.0" ">=1.0, <2.0" "1.2.x" "1.x" "*" ">2" ">=2.0.0-0" \
  "<1.2.4-rc.2" "^0.1" "^0.0.3" "~0" "!=1.3.0" "1.0 - 1.2.5" "^1.2 || ^2.0.0-0" "=1.2.3" ">1.2.3 <=1.3" \
  "1.3.0+build.7" "1.2.3+exact" "~>1.2" "^1.10.0-alpha" "<=1.2" ">1.2" "bogus" ">= 1.2.0-rc.1" "5.x" "=<1.0.0"; do
  want=$("$WORK/helmref.bin" pick "$constraint" < tags)
  got=$("$HELM_CONFIG" pick "$constraint" < tags)
  [ "$want" = "$got" ] || fail "--version '$constraint': Helm picks '$want', lade '$got'"
  picked=$((picked + 1))
done
pass "$picked --version constraints pick the tag Helm picks (strict semver, '_' as '+', pre-releases, ranges, ||)"
