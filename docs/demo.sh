#!/usr/bin/env bash
# The main job on the embedded default, no server needed: push a few real
# files into a local OCI image layout, show the manifest, pull them into
# another folder, and show that they came back identical; attach release
# notes and discover them; copy the whole graph into one tar for an
# air-gapped move.
# Usage: docs/demo.sh [path/to/lade]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lade=${1:-$root/build/cmd/lade}
lade=$(cd "$(dirname "$lade")" && pwd)/$(basename "$lade")
demo=$(mktemp -d "${TMPDIR:-/tmp}/lade-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT

mkdir -p "$demo/files/docs"
cp "$root/README.md" "$root/LICENSE" "$demo/files/"
cp "$root/docs/example.c" "$demo/files/docs/"
cp "$lade" "$demo/files/lade-binary"
: > "$demo/files/empty"
cd "$demo/files"

echo "\$ lade push --oci-layout store:v1,latest README.md LICENSE docs/example.c lade-binary empty"
"$lade" push --oci-layout "$demo/store:v1,latest" README.md LICENSE docs/example.c lade-binary empty
echo
echo "\$ lade manifest fetch --oci-layout store:v1"
"$lade" manifest fetch --oci-layout "$demo/store:v1" | python3 -m json.tool
echo
echo "\$ lade pull --oci-layout store:v1 -o pulled"
"$lade" pull --oci-layout "$demo/store:v1" -o "$demo/pulled"
echo
echo "\$ diff -r files pulled"
diff -r "$demo/files" "$demo/pulled"
echo "identical: every pulled file matches the pushed one byte for byte"
echo
echo "\$ lade attach --oci-layout --artifact-type text/vnd.example.release-notes store:v1 NOTES.txt"
printf 'v1: first release\n' > "$demo/NOTES.txt"
(cd "$demo" && "$lade" attach --oci-layout --artifact-type text/vnd.example.release-notes "$demo/store:v1" NOTES.txt)
echo
echo "\$ lade discover --oci-layout store:v1"
"$lade" discover --oci-layout "$demo/store:v1"
echo
echo "\$ lade copy -r --oci-layout store:v1 airgap.tar:v1"
"$lade" copy -r --oci-layout "$demo/store:v1" "$demo/airgap.tar:v1"
echo
echo "\$ lade discover --oci-layout airgap.tar:v1"
"$lade" discover --oci-layout "$demo/airgap.tar:v1"
