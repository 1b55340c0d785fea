#!/usr/bin/env bash
# Register LayerLab with a Linux desktop: launcher entry, AppStream metadata and icons.
#
#   packaging/install_desktop_entry.sh [PREFIX]
#
# PREFIX defaults to ~/.local (just this user); use /usr/local as root for everyone. The
# launcher runs `layerlab`, so that command must be on PATH: either `pip install` LayerLab or
# link the bundle's binary, e.g. `ln -s "$PWD/dist/layerlab/layerlab" ~/.local/bin/layerlab`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${1:-$HOME/.local}"
APP_ID="io.github.layerlab.LayerLab"
SHARE="$PREFIX/share"

install -Dm644 "$ROOT/resources/desktop/$APP_ID.desktop" "$SHARE/applications/$APP_ID.desktop"
install -Dm644 "$ROOT/resources/desktop/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
install -Dm644 "$ROOT/resources/icons/layerlab.svg" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in 16 24 32 48 64 128 256 512; do
  install -Dm644 "$ROOT/resources/icons/layerlab-$size.png" \
    "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
# Refresh the menus' caches where the tools exist; desktops also notice on their own.
command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
echo "installed $APP_ID into $SHARE"
