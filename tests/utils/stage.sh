#!/usr/bin/env bash
# Copy the git-known files of this checkout to DEST/ansible_collections/vmkfabric/vsphere.
# ansible-test refuses a symlinked collection directory, so sanity runs on a staged copy.
set -euo pipefail
dest="${1:?usage: stage.sh DEST}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$dest/ansible_collections/vmkfabric/vsphere"
rm -rf "$target"
mkdir -p "$target"
cd "$root"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$target"
echo "$target"
