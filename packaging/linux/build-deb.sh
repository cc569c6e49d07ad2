#!/usr/bin/env bash
# Package the frozen folder dist/vp-desk as a Debian package and as a portable tarball:
#   dist/vp-desk_VERSION_ARCH.deb            the folder in /opt/vp-desk, /usr/bin/vp-desk,
#                                            desktop entries, icons and AppStream metadata
#   dist/vp-desk-VERSION-linux-ARCH.tar.gz   the folder alone, run as vp-desk-VERSION/vp-desk
# Runs packaging/linux/build.sh first unless SKIP_FREEZE=1 and dist/vp-desk exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
umask 022

if [ "${SKIP_FREEZE:-0}" != 1 ] || [ ! -x dist/vp-desk/vp-desk ]; then
  packaging/linux/build.sh
fi

version=$(dist/vp-desk/vp-desk --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
machine=$(uname -m)
if [ -z "$version" ] || [ "$version" = 0.0.0 ]; then
  echo "build-deb.sh: the frozen app reports no version ('$version'); is its metadata bundled?" >&2
  exit 1
fi

# The bundle needs the glibc of the build host or newer: read the highest symbol version it uses.
if ! command -v objdump >/dev/null 2>&1; then
  echo "build-deb.sh: objdump is missing; install binutils" >&2
  exit 1
fi
glibc=$(find dist/vp-desk -type f \( -name '*.so*' -o -name vp-desk \) -print0 |
  xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1)
glibc=${glibc#GLIBC_}
if [ -z "$glibc" ]; then
  echo "build-deb.sh: found no glibc symbol versions in dist/vp-desk" >&2
  exit 1
fi

# The staging tree: what dpkg installs, owned by root through --root-owner-group.
stage=build/deb-root
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/metainfo" "$stage/usr/share/doc/vp-desk" \
  "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a dist/vp-desk "$stage/opt/vp-desk"
# The bootloader finds its _internal folder through /proc/self/exe, so a symlink works.
ln -s /opt/vp-desk/vp-desk "$stage/usr/bin/vp-desk"

install -m 644 resources/vp-desk.desktop resources/vp-desk-lookup.desktop \
  "$stage/usr/share/applications/"
install -m 644 resources/io.vesuviopay.VpDesk.metainfo.xml "$stage/usr/share/metainfo/"
install -m 644 resources/icons/vp-desk.svg "$stage/usr/share/icons/hicolor/scalable/apps/"
for size in 16 24 32 48 64 128 256 512; do
  folder="$stage/usr/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$folder"
  install -m 644 "resources/icons/vp-desk-$size.png" "$folder/vp-desk.png"
done
cat >"$stage/usr/share/doc/vp-desk/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vp-desk

Files: *
Copyright: vp-desk developers
License: MIT
Comment: /opt/vp-desk/_internal also contains Python, Qt 6 (LGPL-3), PySide6 (LGPL-3) and the
 Python packages listed in uv.lock, each under its own license.
COPYRIGHT

find "$stage" -type d -exec chmod 755 {} +
installed_kib=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
# PyInstaller leaves GL, EGL and libxcb to the system; fontconfig reads its configuration from
# /etc/fonts, and without any font Qt draws text as boxes. truststore verifies HTTPS against
# the system's CA bundle from ca-certificates.
cat >"$stage/DEBIAN/control" <<CONTROL
Package: vp-desk
Version: $version
Architecture: $arch
Maintainer: vp-desk developers <vp-desk@localhost>
Installed-Size: $installed_kib
Depends: libc6 (>= $glibc), libgl1, libegl1, libxcb1, ca-certificates, fontconfig-config, fonts-dejavu-core | fonts-liberation2 | fonts-noto-core
Suggests: gnome-keyring
Section: utils
Priority: optional
Description: look up store customers and their carts during a call
 vp-desk is a desktop application for support agents of online stores on the
 VesuvioPay platform: it finds a customer by id, phone number, email address or
 name and shows the record and the shopping cart. The API key stays in the
 system keyring (Secret Service, such as gnome-keyring).
CONTROL

deb="dist/vp-desk_${version}_${arch}.deb"
started=$(date +%s)
dpkg-deb --root-owner-group -Zzstd --build "$stage" "$deb" >/dev/null
finished=$(date +%s)

tarball="dist/vp-desk-${version}-linux-${machine}.tar.gz"
tar -C dist --owner=0 --group=0 --transform "s,^vp-desk,vp-desk-$version," \
  -czf "$tarball" vp-desk

echo "build-deb.sh: folder $(du -sh dist/vp-desk | cut -f1)," \
  "installed $((installed_kib / 1024)) MiB"
echo "build-deb.sh: $deb $(du -h "$deb" | cut -f1) (dpkg-deb $((finished - started)) s)"
echo "build-deb.sh: $tarball $(du -h "$tarball" | cut -f1)"
