#!/bin/sh
# Fetch the admin panel's front-end assets from the npm registry into admin_ui/static/admin/vendor/ (no CDN at run
# time: deployments may be offline). Run from anywhere; commit the result. Versions are pinned here on purpose.
set -eu
HTMX_VERSION="${HTMX_VERSION:-2.0.4}"
PICO_VERSION="${PICO_VERSION:-2.0.6}"
DEST="$(cd "$(dirname "$0")" && pwd)/static/admin/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null
npm pack --silent "@picocss/pico@${PICO_VERSION}" >/dev/null
mkdir htmx pico
tar -xzf htmx.org-*.tgz -C htmx
tar -xzf picocss-pico-*.tgz -C pico
mkdir -p "$DEST"
cp htmx/package/dist/htmx.min.js "$DEST/htmx.min.js"
cp htmx/package/LICENSE "$DEST/htmx.LICENSE"
cp pico/package/css/pico.min.css "$DEST/pico.min.css"
cp pico/package/LICENSE.md "$DEST/pico.LICENSE.md"
printf 'htmx.org %s\n@picocss/pico %s\n' "$HTMX_VERSION" "$PICO_VERSION" > "$DEST/VERSIONS"
echo "vendored htmx ${HTMX_VERSION} and pico ${PICO_VERSION} into $DEST"
