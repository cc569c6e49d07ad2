#!/usr/bin/env bash
# Build dist/vp-desk.app with the PyInstaller spec, sign and notarize it when identities are
# given, and pack it into dist/vp-desk-VERSION-macos-ARCH.dmg.
# Signing: MACOS_SIGN_IDENTITY, a "Developer ID Application: ..." identity in the keychain.
# Notarizing (needs signing): APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD, an
# app-specific password. Each step is skipped, with a message, when its variables are unset.
# NOTE: written without a Mac at hand; the release workflow is its only test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# The freezing script is the same on macOS: on darwin the spec adds the vp-desk.app bundle.
packaging/linux/build.sh

app=dist/vp-desk.app
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
dmg="dist/vp-desk-$version-macos-$(uname -m).dmg"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  echo "build-dmg.sh: signing $app"
  codesign --force --deep --options runtime --timestamp \
    --sign "$MACOS_SIGN_IDENTITY" "$app"
  codesign --verify --strict --verbose=2 "$app"
else
  echo "build-dmg.sh: MACOS_SIGN_IDENTITY is unset; the app stays unsigned"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "vp-desk $version" -srcfolder "$staging" -ov -format UDZO "$dmg"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
fi
if [ -n "${MACOS_SIGN_IDENTITY:-}" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] &&
  [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  echo "build-dmg.sh: notarizing $dmg"
  xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$dmg"
else
  echo "build-dmg.sh: APPLE_ID, APPLE_TEAM_ID or APPLE_APP_PASSWORD is unset; not notarized"
fi

echo "build-dmg.sh: $dmg $(du -h "$dmg" | cut -f1)"
