#!/usr/bin/env bash
# Print the path of a working Python interpreter of version MAJOR.MINOR or newer (default 3.12).
# Tries $COMPAT_PYTHON, the python3.N commands on PATH (a pyenv shim only counts if it runs) and
# the interpreters under `pyenv root`; fails with a message naming what to install otherwise.
set -euo pipefail
want="${1:-3.12}"
check="import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$want'.split('.'))) else 1)"
candidates=()
[ -n "${COMPAT_PYTHON:-}" ] && candidates+=("$COMPAT_PYTHON")
for minor in 12 13 14; do candidates+=("python3.$minor"); done
if command -v pyenv >/dev/null 2>&1; then
  for dir in $(ls -d "$(pyenv root)"/versions/3.* 2>/dev/null | sort -V); do
    candidates+=("$dir/bin/python3")
  done
fi
for py in "${candidates[@]}"; do
  if path=$(command -v "$py" 2>/dev/null) && "$path" -c "$check" >/dev/null 2>&1; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "find_python.sh: no Python >= $want found (tried COMPAT_PYTHON, python3.12..3.14 on PATH and pyenv versions);" \
     "install one (e.g. pyenv install 3.12) or set COMPAT_PYTHON=/path/to/python3.12" >&2
exit 1
