#!/usr/bin/env bash
# Runs Banno's example apps' calls with their own client libraries against a real `authdesk
# serve` (clients/*.test.mjs). One sandbox CA for the run; Node trusts it through
# NODE_EXTRA_CA_CERTS, as the README tells a developer to.
#   clients/run.sh path/to/authdesk
set -euo pipefail
cd "$(dirname "$0")"
bin="$(realpath "${1:?usage: clients/run.sh path/to/authdesk}")"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
ca_file="$("$bin" --data-dir "$home/ca" tls ca --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ca_file))')"
export AUTHDESK_BIN="$bin" AUTHDESK_TLS_DIR="$home/ca/tls" NODE_EXTRA_CA_CERTS="$ca_file"
node --test --test-concurrency=1 ./*.test.mjs
