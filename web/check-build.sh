#!/usr/bin/env bash
# `make web-check`: the front end's unit tests (node --test), then the dashboard built afresh into a temporary folder
# and compared byte for byte with the build committed in bot/web/static. Prints one line naming the first differing
# file and fails, or prints nothing.
set -euo pipefail
cd "$(dirname "$0")"
committed="$(cd ../bot/web/static && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
npm ci --no-audit --no-fund --silent >/dev/null
node --test --test-reporter=dot test/ >/dev/null || { echo "web-check: the front end's unit tests failed (cd web && npm test)" >&2; exit 1; }
npx vite build --logLevel error --outDir "$fresh" --emptyOutDir >/dev/null
difference="$(diff -rq "$fresh" "$committed" | head -n 1 || true)"
if [[ -n "$difference" ]]; then
  name="$(sed -E -e "s#^Only in ${fresh}/?#only in a fresh build: #" -e "s#^Only in ${committed}/?#only committed: #" \
    -e "s#^Files ${fresh}/(.*) and .* differ#\1 differs from a fresh build#" <<<"$difference")"
  echo "web-check: bot/web/static: ${name} (run make web and commit)" >&2
  exit 1
fi
