#!/usr/bin/env bash
# Build LayerLab's one-folder desktop bundle with PyInstaller and check that it starts.
#
#   packaging/build_bundle.sh [--skip-window]
#
# Environment (all optional):
#   LAYERLAB_BUILD_VENV  venv to build in (default: build/bundle-venv; created if missing,
#                        then LayerLab's dependencies and PyInstaller are installed into it)
#   LAYERLAB_DIST_DIR    where the bundle goes (default: dist/; the app is DIST/layerlab/)
#   LAYERLAB_WORK_DIR    PyInstaller's scratch folder (default: build/pyinstaller)
#   PYTHON               interpreter used to create the venv (default: python3)
# Afterwards it prints the bundle's size, runs `layerlab --version`, and (unless
# --skip-window) opens the main window once on Qt's offscreen platform.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LAYERLAB_BUILD_VENV:-$ROOT/build/bundle-venv}"
DIST="${LAYERLAB_DIST_DIR:-$ROOT/dist}"
WORK="${LAYERLAB_WORK_DIR:-$ROOT/build/pyinstaller}"
CHECK_WINDOW=1
for arg in "$@"; do
  case "$arg" in
    --skip-window) CHECK_WINDOW=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build_bundle.sh: unknown option $arg (use --skip-window or --help)" >&2; exit 2 ;;
  esac
done

if [[ "$(uname -s)" == MINGW* || "$(uname -s)" == CYGWIN* || "$(uname -s)" == MSYS* ]]; then
  BIN_DIR="$VENV/Scripts"; EXE_SUFFIX=".exe"
else
  BIN_DIR="$VENV/bin"; EXE_SUFFIX=""
fi

if [[ ! -x "$BIN_DIR/python$EXE_SUFFIX" ]]; then
  echo "==> creating venv $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  "$BIN_DIR/python" -m pip install --quiet --upgrade pip
  # The spec takes LayerLab's own code from this checkout; installing it pulls its dependencies.
  "$BIN_DIR/python" -m pip install --quiet "$ROOT"
fi
if ! "$BIN_DIR/python" -c "import PyInstaller" 2>/dev/null; then
  echo "==> installing PyInstaller"
  "$BIN_DIR/python" -m pip install --quiet "pyinstaller>=6.10"
fi

echo "==> building with PyInstaller $("$BIN_DIR/python" -m PyInstaller --version)"
cd "$ROOT"
start=$(date +%s)
"$BIN_DIR/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/layerlab.spec
echo "==> built in $(( $(date +%s) - start )) s"

if [[ "$(uname -s)" == Darwin ]]; then
  APP_DIR="$DIST/LayerLab.app"; BINARY="$DIST/layerlab/layerlab"
else
  APP_DIR="$DIST/layerlab"; BINARY="$DIST/layerlab/layerlab$EXE_SUFFIX"
fi
if du --apparent-size -sm "$APP_DIR" >/dev/null 2>&1; then
  size_mb=$(du --apparent-size -sm "$APP_DIR" | cut -f1)
else
  size_mb=$(du -sm "$APP_DIR" | cut -f1)  # BSD du (macOS) has no --apparent-size
fi
echo "==> bundle: $APP_DIR  ${size_mb} MB"

echo "==> $BINARY --version"
"$BINARY" --version

if [[ "$CHECK_WINDOW" == 1 ]]; then
  echo "==> opening the main window offscreen"
  LAYERLAB_BUNDLE_SELFTEST=1 QT_QPA_PLATFORM=offscreen "$BINARY"
fi
echo "==> done"
