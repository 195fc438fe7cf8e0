#!/usr/bin/env bash
# Real components from three toolchains, not only hand-written ones:
#  1. wasm-tools (jco parse): a composed component in the shape wasm-tools
#     compose and WASI-Virt write - nested components and core modules,
#     instances, aliases, type sections of every kind, a resource with its
#     constructor and methods, custom sections between the others;
#  2. wabt + wasm-tools component new with the WASI adapter (the way
#     cargo-component builds), through jco's API;
#  3. ComponentizeJS (StarlingMonkey), a 12 MB component from JavaScript.
# Each is pushed to a registry and to a layout: the config's imports and
# exports equal what `jco wit` shows, `created` is there (the file's time,
# or SOURCE_DATE_EPOCH), and the pull gives back the same bytes.
source "$(dirname "$0")/../harness/lib.sh"
PREFIX=${LADE_TEST_TOOLS:-/opt/lade-test-tools}
JCO=$PREFIX/node_modules/.bin/jco
command -v wat2wasm > /dev/null || skip "wat2wasm (Debian wabt) is not installed"
[ -x "$JCO" ] || skip "jco is not installed (.ci/install-deps)"
[ -d "$PREFIX/node_modules/@bytecodealliance/componentize-js" ] || skip "componentize-js is not installed"
export JCO_PREFIX=$PREFIX
TOOLS="$LADE_SOURCE_DIR/tests/tools/wasm"
start_registry plain
cd "$WORK"

# 1. wasm-tools: a composition
cat > composed.wat <<'WAT'
(component
  (@custom "producers" "composed by hand")
  (type $log-iface (instance
    (export "log" (func (param "msg" string)))))
  (import "example:app/logging@1.0.0" (instance $logging (type $log-iface)))
  (import "config" (instance $config (export "get" (func (param "k" string) (result (option string))))))
  (import "r" (type $r (sub resource)))
  (type $own-r (own $r))
  (type $borrow-r (borrow $r))
  (import "[constructor]r" (func (result $own-r)))
  (import "[method]r.get" (func (param "self" $borrow-r) (result u32)))
  (import "limit" (func $limit (result u32)))
  (component $inner
    (import "log" (func $log (param "msg" string)))
    (core module $m (func (export "run")))
    (core instance $i (instantiate $m))
    (func $run (canon lift (core func $i "run")))
    (export "run" (func $run)))
  (alias export $logging "log" (func $log))
  (instance $inst (instantiate $inner (with "log" (func $log))))
  (alias export $inst "run" (func $run))
  (@custom "between" "sections")
  (export "run" (func $run))
  (export "example:app/runner@1.0.0" (instance $inst)))
WAT
"$JCO" parse composed.wat -o composed.wasm > /dev/null || fail "jco parse (wasm-tools) failed"

# 2. wabt + component new with the WASI adapter
mkdir -p wit-calc
cat > wit-calc/calc.wit <<'WIT'
package example:calc@1.0.0;

interface log {
  log: func(x: u32);
}

world calc {
  import log;
  export add: func(a: u32, b: u32) -> u32;
}
WIT
cat > calc.wat <<'WAT'
(module
  (import "example:calc/log@1.0.0" "log" (func $log (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 call $log
    local.get 0 local.get 1 i32.add)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024))
WAT
wat2wasm calc.wat -o calc.core.wasm || fail "wat2wasm"
node "$TOOLS/new.mjs" calc.core.wasm wit-calc/calc.wit calc calc.wasm || fail "component new (wasm-tools, WASI adapter) failed"

# 3. ComponentizeJS
mkdir -p wit-hello
cat > wit-hello/hello.wit <<'WIT'
package example:hello@0.1.0;

interface greet {
  hello: func(name: string) -> string;
}

world hello {
  export greet;
  export run: func();
}
WIT
cat > hello.js <<'JS'
export const greet = { hello(name) { return `hello ${name}`; } };
export function run() {}
JS
node "$TOOLS/componentize.mjs" hello.js wit-hello hello hello.wasm || fail "ComponentizeJS failed"

touch -d '2025-06-07 08:09:10 UTC' composed.wasm calc.wasm hello.wasm
for w in composed calc hello; do
  "$JCO" wit "$w.wasm" > "$w.wit" || fail "jco wit $w"
  for where in registry layout; do
    if [ $where = registry ]; then T=(--plain-http); ref="$REGISTRY/wasm/$w:v1"; else T=(--oci-layout); ref="$WORK/store-$w:v1"; fi
    "$LADE" push "${T[@]}" "$ref" "$w.wasm" > push.log 2>&1 || fail "push $w ($where): $(cat push.log)"
    "$LADE" manifest fetch "${T[@]}" "$ref" > "$w-manifest.json"
    cfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$w-manifest.json")
    "$LADE" blob fetch "${T[@]}" "${ref%:v1}@$cfg" -o "$w-config.json" || fail "config of $w ($where)"
    python3 - "$w-config.json" "$w.wit" "$w.wasm" <<'PY' || fail "$w ($where): config is not what jco wit shows"
import hashlib, json, re, sys
c = json.load(open(sys.argv[1]))
wit = open(sys.argv[2]).read()
world = wit[wit.index("world "):]
lines, depth = [], 0
for l in world.splitlines():
    if depth == 1:
        lines.append(l)
    depth += l.count("{") - l.count("}")
    if depth <= 0 and lines:
        break
name = lambda kind, l: re.match(rf"\s*{kind} ([^;:]+(?::[^;: ]+/[^;: ]+)?)", l).group(1).strip()
imports = [name("import", l) for l in lines if l.strip().startswith("import ")]
exports = [name("export", l) for l in lines if l.strip().startswith("export ")]
assert c["os"] == "wasip2" and c["architecture"] == "wasm", c
# oci-wasm's WasmConfig field for field, in its order, None written as null
assert list(c) == ["created", "author", "architecture", "os", "layerDigests", "component"], list(c)
assert list(c["component"]) == ["exports", "imports", "target"] and c["component"]["target"] is None and c["author"] is None
assert c["created"] == "2025-06-07T08:09:10Z", c["created"]
assert c["layerDigests"] == ["sha256:" + hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()]
assert c["component"]["imports"] == imports, (c["component"]["imports"], imports)
assert c["component"]["exports"] == exports, (c["component"]["exports"], exports)
assert imports or exports
PY
    rm -rf out && "$LADE" pull "${T[@]}" -o out "$ref" > /dev/null || fail "pull $w ($where)"
    cmp "$w.wasm" "out/$w.wasm" || fail "$w ($where) came back different"
  done
done
SOURCE_DATE_EPOCH=1700000000 "$LADE" push --oci-layout "$WORK/dated:v1" calc.wasm > /dev/null
cfg=$("$LADE" manifest fetch --oci-layout "$WORK/dated:v1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
"$LADE" blob fetch --oci-layout "$WORK/dated@$cfg" -o dated.json
python3 -c 'import json,sys; c=json.load(open("dated.json")); assert c["created"] == "2023-11-14T22:13:20Z", c' ||
  fail "SOURCE_DATE_EPOCH did not set created"
pass "components from wasm-tools (composed), wabt + component new (WASI adapter) and ComponentizeJS: imports/exports as jco wit, created, byte-identical pulls"
