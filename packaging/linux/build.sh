#!/usr/bin/env bash
# Freeze vp-desk into the one-folder build dist/vp-desk with PyInstaller 6.22, in a throwaway
# virtual environment, so that PyInstaller never becomes a dependency of the project.
# Output: dist/vp-desk (the folder) and build/pyinstaller (PyInstaller's work files).
# PYTHON names the interpreter to freeze, 3.12 or newer. By default it is the first python3.12
# or python3.13 on PATH, then one of pyenv's.
# FREEZE_VENV names the folder of the venv to reuse. By default a temporary one is made and
# removed at exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$HOME/.local/bin:$PATH"
export UV_PYTHON_DOWNLOADS=never

find_python() {
  local candidate
  for candidate in python3.12 python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
    "$HOME"/.pyenv/versions/3.13*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "" 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

python=${PYTHON:-$(find_python)} || {
  echo "build.sh: no Python 3.12 or newer found; set PYTHON to one." >&2
  exit 1
}
if [ -n "${FREEZE_VENV:-}" ]; then
  venv=$FREEZE_VENV
else
  venv=$(mktemp -d /tmp/vp-desk-freeze.XXXXXX)
  trap 'rm -rf "$venv"' EXIT
fi

started=$(date +%s)
echo "build.sh: freezing with $("$python" --version) in $venv"
uv venv --quiet --allow-existing "$venv" --python "$python"
# The locked versions of the runtime dependencies, then vp-desk itself (not editable, so that
# its metadata, which carries the version, is a normal dist-info folder).
uv export --frozen --no-dev --no-emit-project --quiet | uv pip install --quiet -r - -p "$venv/bin/python"
uv pip install --quiet --no-deps --reinstall-package vp-desk . -p "$venv/bin/python"
uv pip install --quiet "pyinstaller==6.22.*" -p "$venv/bin/python"

"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/vp-desk.spec

finished=$(date +%s)
echo "build.sh: dist/vp-desk is $(du -sh dist/vp-desk | cut -f1), built in $((finished - started)) s"
