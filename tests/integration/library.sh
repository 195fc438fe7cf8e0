#!/usr/bin/env bash
# The library stands on its own: install it, build docs/example.c with
# pkg-config against the installed headers only, and run it through a
# layout and a real registry.
source "$(dirname "$0")/../harness/lib.sh"
: "${LADE_BUILD_DIR:?}" "${LADE_SOURCE_DIR:?}"
cd "$WORK"
cmake --install "$LADE_BUILD_DIR" --prefix "$WORK/prefix" > install.log || fail "cmake --install: $(tail -5 install.log)"
export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig:$WORK/prefix/lib/x86_64-linux-gnu/pkgconfig:$WORK/prefix/lib64/pkgconfig"
flags=$(pkg-config --cflags --libs --static lade) || fail "pkg-config does not know lade"
# Static link: the example runs without LD_LIBRARY_PATH, like a user's program.
libdir=$(pkg-config --variable=libdir lade)
# LADE_TEST_CFLAGS carries the sanitizer flags when the library was built with them.
cc -std=c11 -Wall -Wextra -Werror ${LADE_TEST_CFLAGS:-} "$LADE_SOURCE_DIR/docs/example.c" -o example \
  $(pkg-config --cflags lade) "$libdir/liblade.a" $(pkg-config --libs-only-l --static lade | sed 's/-llade//') \
  || fail "docs/example.c does not build against the installed library"
cc -std=c11 -Wall -Wextra -Werror ${LADE_TEST_CFLAGS:-} "$LADE_SOURCE_DIR/docs/example.c" -o example-shared $flags \
  -Wl,-rpath,"$libdir" || fail "docs/example.c does not link against the shared library"
pass "docs/example.c builds with pkg-config against the installed lade (static and shared)"

head -c 200000 /dev/urandom > data.bin
./example data.bin "$WORK/layout" out-layout > run1.out || fail "example through a layout: $(cat run1.out)"
cmp data.bin out-layout/data.bin || fail "layout round trip differs"
start_registry plain
./example-shared data.bin "$REGISTRY/lib/example:t1" out-registry http > run2.out || fail "example through a registry"
cmp data.bin out-registry/data.bin || fail "registry round trip differs"
pass "the example pushes and pulls through a layout and a registry"

# The extension points: a store of one's own (lade/sys/target.h) and a kind of one's own.
for prog in custom_target custom_kind; do
  cc -std=c11 -Wall -Wextra -Werror ${LADE_TEST_CFLAGS:-} "$LADE_SOURCE_DIR/docs/$prog.c" -o "$prog" \
    $(pkg-config --cflags lade) "$libdir/liblade.a" $(pkg-config --libs-only-l --static lade | sed 's/-llade//') \
    || fail "docs/$prog.c does not build against the installed library"
done
printf 'in memory\n' > note.txt
./custom_target note.txt out-memory > memory.out 2>&1 || fail "custom_target: $(cat memory.out)"
cmp note.txt out-memory/note.txt || fail "the in-memory target gave back other bytes"
grep -q '^tag v1$' memory.out || fail "the in-memory target lists no tag: $(cat memory.out)"
grep -q 'push_stream: the memory target cannot store a stream' memory.out || fail "a missing operation: $(cat memory.out)"
printf 'a,b,c\n1,2,3\n4,5,6\n' > good.csv
printf 'a,b,c\n1,2,3\n4,5\n' > bad.csv
./custom_kind good.csv "$WORK/csv-layout" > csv.out 2>&1 || fail "custom_kind: $(cat csv.out)"
grep -q 'as text/csv (kind csv), 3 columns' csv.out || fail "custom_kind: $(cat csv.out)"
rc=0; ./custom_kind bad.csv "$WORK/csv-layout" > csv.out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "'bad.csv' line 3 has 2 fields, the header 3 (EINVALID)" csv.out ||
  fail "a kind's lade_error_set did not come out of lade_push: rc $rc, $(cat csv.out)"
pass "docs/custom_target.c (an in-memory store) and docs/custom_kind.c (a kind with lade_error_set) build and run"

# Only lade_ symbols leave the shared library.
leaked=$(nm -D --defined-only "$libdir/liblade.so" | awk '{print $3}' | grep -v '^lade_' | grep -v '^_' || true)
[ -z "$leaked" ] || fail "liblade.so exports non-lade symbols: $leaked"
pass "liblade.so exports only lade_ symbols"

# libarchive and libcurl are opened on first use (dlopen) to keep every run's memory low:
# neither may become a link-time dependency, nor be called directly (an undefined symbol).
needed=$(readelf -d "$libdir/liblade.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$needed" | grep -Eq '^lib(archive|curl)' && fail "liblade.so links $(echo "$needed" | grep -E '^lib(archive|curl)') directly"
direct=$(nm -D --undefined-only "$libdir/liblade.so" | awk '{print $2}' | grep -E '^(archive_|curl_)' || true)
[ -z "$direct" ] || fail "liblade.so calls libarchive or libcurl directly: $direct"
pass "liblade.so opens libarchive and libcurl on first use: neither is NEEDED nor called directly"
echo "library: all passed"
