#!/usr/bin/env bash
# One caller's flood against another caller's latency (see BENCHMARKS.md,
# "Fairness under attack"):
#
#   bench/fairness.sh            # release build, SQLite, scale 0.05, 10 s per phase
#
# Builds the release binary, seeds a fresh embedded database, serves it with
# the default limits, and runs bench/fairness.py: a victim's simple query
# idle, then while an attacker floods from 8 threads with refused documents
# and with the costliest accepted queries. Leaves nothing running.
# Settings: SCALE (0.05), PHASE_SECONDS (10), PORT (28580), SKIP_BUILD=1,
# LTC_DATABASE_URL (a PostgreSQL URL to use instead of SQLite; it must be empty).

set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SCALE=${SCALE:-0.05}
SECONDS_PER_PHASE=${PHASE_SECONDS:-10}
PORT=${PORT:-28580}
LTC=${CARGO_TARGET_DIR:-$ROOT/target}/release/ltc
DATA=$(mktemp -d)
SECRET=bench-only-jwt-secret-0123456789abcdef
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build --release --bin ltc)
fi
export LTC_DATA_DIR="$DATA" LTC_JWT_SECRET="$SECRET" LTC_METRICS_BIND=off RUST_LOG=warn
"$LTC" seed --scale "$SCALE" > "$DATA/seed.log"
LTC_BIND="127.0.0.1:$PORT" LTC_WORKER_ENABLED=false "$LTC" serve > "$DATA/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null && break
  sleep 0.2
done
ATTACKER=$("$LTC" token --sub mallory --role SALES_MANAGER --ttl-minutes 30)
VICTIM=$("$LTC" token --sub victor --role SALES_MANAGER --ttl-minutes 30)
python3 "$HERE/fairness.py" "http://127.0.0.1:$PORT" "$ATTACKER" "$VICTIM" "$SECONDS_PER_PHASE"
