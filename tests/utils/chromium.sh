#!/usr/bin/env bash
# Print the path of a Chromium for the browser test of the fabric report. Tries $VMKFABRIC_CHROMIUM, then
# chromium / chromium-browser on PATH; when there is none and this runs as root on a Debian or Ubuntu
# machine, installs Debian's `chromium` package with apt-get (like any other test dependency), else
# fails naming what to install. Installing needs the package mirror; the test itself never uses the network.
set -euo pipefail
find_chromium() {
  local name
  for name in "${VMKFABRIC_CHROMIUM:-}" chromium chromium-browser; do
    if [ -n "$name" ] && command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}
if find_chromium; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: installing Debian's chromium package (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium >&2 || apt-get install -y -qq --no-install-recommends chromium-browser >&2
  if find_chromium; then exit 0; fi
fi
echo "chromium.sh: no chromium found; install it (Debian: apt-get install chromium) or set VMKFABRIC_CHROMIUM" >&2
exit 1
