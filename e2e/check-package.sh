#!/usr/bin/env bash
# Checks the console's Debian package and unpacks it as an install would lay it out:
#   e2e/check-package.sh Authdesk_<version>_amd64.deb ROOT
# The package's metadata (name, architecture, the WebKitGTK runtime it depends on), the console
# and the command line in /usr/bin, the menu entry that starts the console, and its icon. The
# E2E then runs ROOT/usr/bin/authdesk-desktop (installing system-wide would need root and change
# the machine; `dpkg-deb -x` unpacks exactly the files `dpkg -i` would place).
set -euo pipefail
deb="${1:?the .deb}"
root="${2:?a directory to unpack into}"
fail() { echo "package check: $*" >&2; exit 1; }

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = authdesk ] || fail "Package is '$(field Package)', not authdesk"
[ "$(field Architecture)" = amd64 ] || fail "Architecture is '$(field Architecture)'"
field Depends | grep -q 'libwebkit2gtk-4.1-0' || fail "Depends lacks libwebkit2gtk-4.1-0: $(field Depends)"
field Depends | grep -q 'libgtk-3-0' || fail "Depends lacks libgtk-3-0: $(field Depends)"

dpkg-deb -x "$deb" "$root"
for bin in authdesk-desktop authdesk; do
  [ -x "$root/usr/bin/$bin" ] || fail "/usr/bin/$bin is missing or not executable"
done
"$root/usr/bin/authdesk" --version >/dev/null || fail "the packaged authdesk does not run"

entry="$(find "$root/usr/share/applications" -name '*.desktop' | head -1)"
[ -n "$entry" ] || fail "no menu entry in /usr/share/applications"
grep -q '^Exec=authdesk-desktop' "$entry" || fail "the menu entry does not start the console: $(grep ^Exec "$entry")"
grep -q '^Name=Authdesk$' "$entry" || fail "the menu entry is not named Authdesk"
icon="$(sed -n 's/^Icon=//p' "$entry")"
found="$(find "$root/usr/share/icons" -name "$icon.png" | head -1)"
[ -n "$found" ] || fail "the menu entry's icon '$icon' is not in /usr/share/icons"
file "$found" | grep -q 'PNG image data' || fail "$found is not a PNG"
echo "package check: $(basename "$deb"): $(field Package) $(field Version) $(field Architecture), depends on $(field Depends); menu entry $(basename "$entry"), icon $icon"
