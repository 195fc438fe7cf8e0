#!/usr/bin/env bash
# Docs are checked: every command has a page that names each option its
# --help shows, and every public function is on the library map.
source "$(dirname "$0")/../harness/lib.sh"
: "${LADE_SOURCE_DIR:?}"
docs="$LADE_SOURCE_DIR/docs"
for src in "$LADE_SOURCE_DIR"/cmd/*.c; do
  cmd=$(basename "$src" .c)
  case "$cmd" in main|common) continue ;; esac
  page="$docs/commands/$cmd.md"
  [ -f "$page" ] || fail "command '$cmd' has no page $page"
  "$LADE" "$cmd" --help > "$WORK/help" || fail "lade $cmd --help failed"
  for opt in $(grep -oE -- '--[a-z][a-z-]+' "$WORK/help" | sort -u); do
    grep -q -- "$opt" "$page" || fail "docs/commands/$cmd.md does not mention $opt (from lade $cmd --help)"
  done
  grep -q "^lade $cmd\b" "$page" || fail "docs/commands/$cmd.md has no usage line (lade $cmd ...)"
done
pass "every command has a page naming each of its options"

for fn in $(grep -h 'LADE_EXTERN' "$LADE_SOURCE_DIR"/core/include/lade/*.h "$LADE_SOURCE_DIR"/core/include/lade/sys/*.h | grep -oE '\blade_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u); do
  grep -qw "$fn" "$docs/library.md" || fail "public function $fn is not in docs/library.md"
done
pass "every public function is on the library map"

# The exit statuses the docs promise are the ones main.c uses.
grep -q '| 2 | usage' "$docs/exit-codes.md" || fail "exit-codes.md lost status 2"
"$LADE" > /dev/null 2>&1 && fail "lade without a command succeeded"
rc=0; "$LADE" > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "lade without a command exited $rc, docs say 2"
pass "exit statuses match docs/exit-codes.md"
echo "docs: all passed"
