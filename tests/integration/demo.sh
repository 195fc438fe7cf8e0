#!/usr/bin/env bash
# README's first command ends in docs/demo.sh: it must keep working. Run it
# with this build's lade and check what it shows: the files came back
# identical, the release notes hang on what was pushed, and the layout tar
# the graph was copied into shows the same tree.
source "$(dirname "$0")/../harness/lib.sh"
cd "$WORK"
TMPDIR=$WORK bash "$LADE_SOURCE_DIR/docs/demo.sh" "$LADE" > demo.out 2>&1 || { cat demo.out; fail "docs/demo.sh failed"; }
grep -q '^identical: every pulled file matches' demo.out || fail "the demo's pull did not come back identical"
[ "$(grep -c '└── text/vnd.example.release-notes  sha256:' demo.out)" = 2 ] ||
  fail "the release notes are not discovered in both the layout and the tar: $(cat demo.out)"
grep -q '^Referrers: 1$' demo.out || fail "copy -r did not carry the release notes"
pass "docs/demo.sh: push, pull identical, attach, discover, copy -r into a layout tar"
echo "demo: all passed"
