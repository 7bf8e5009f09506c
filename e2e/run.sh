#!/usr/bin/env bash
# Runs the console E2E test: Xvfb, tauri-driver (which starts WebKitWebDriver and the app),
# then node's test runner. Usage: e2e/run.sh path/to/authdesk-desktop
# Screenshots land in tests/artifacts/e2e/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app="$(realpath "${1:?path to the authdesk-desktop binary}")"
driver="${TAURI_DRIVER:-tauri-driver}"
export AUTHDESK_E2E_APP="$app"
# The `authdesk` CLI built beside it (the test seeds thousands of people with it).
export AUTHDESK_E2E_CLI="$(dirname "$app")/authdesk"
[ -x "$AUTHDESK_E2E_CLI" ] || { echo "e2e: $AUTHDESK_E2E_CLI is missing: build it first (cargo build --bin authdesk)" >&2; exit 1; }
export AUTHDESK_E2E_ARTIFACTS="${AUTHDESK_E2E_ARTIFACTS:-$here/../tests/artifacts/e2e}"
mkdir -p "$AUTHDESK_E2E_ARTIFACTS"
# The app under test gets its own data directory and a free port.
export AUTHDESK_DATA_DIR="$(mktemp -d)"
export AUTHDESK_LISTEN=127.0.0.1:0
export AUTHDESK_LOG=warn
# Exports (the audit's CSV) land here, where the test reads them.
export AUTHDESK_EXPORT_DIR="$(mktemp -d)"

if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

# The console opens a PostgreSQL registry from Settings: an empty database on the test
# command's throwaway cluster, or on one of its own.
pg_own=""
if [ -z "${AUTHDESK_TEST_POSTGRES_URL:-}" ]; then
  pg_own="$(mktemp -d)"
  AUTHDESK_TEST_POSTGRES_URL="$("$here/../scripts/pg" start "$pg_own")"
fi
psql -q "$AUTHDESK_TEST_POSTGRES_URL" -c "CREATE DATABASE e2e_console_$$"
export AUTHDESK_E2E_DATABASE_URL="${AUTHDESK_TEST_POSTGRES_URL/\/postgres?//e2e_console_$$?}"
# What the console remembers (the registry opened last) goes to a throwaway config directory.
export XDG_CONFIG_HOME="$(mktemp -d)"

"$driver" --port 4444 --native-port 4445 > "$AUTHDESK_E2E_ARTIFACTS/tauri-driver.log" 2>&1 &
driver_pid=$!
cleanup() {
  kill $driver_pid 2>/dev/null || true
  wait $driver_pid 2>/dev/null || true
  psql -q "$AUTHDESK_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS e2e_console_$$ WITH (FORCE)" 2>/dev/null || true
  if [ -n "$pg_own" ]; then "$here/../scripts/pg" stop "$pg_own" || true; rm -rf "$pg_own"; fi
  rm -rf "$AUTHDESK_DATA_DIR" "$AUTHDESK_EXPORT_DIR" "$XDG_CONFIG_HOME"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break
  sleep 0.1
done
cd "$here"
node --test --test-reporter=spec console.e2e.mjs
