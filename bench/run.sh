#!/usr/bin/env bash
# The ltc benchmark, end to end (see BENCHMARKS.md):
#
#   bench/run.sh 1        # scale 1: build, seed PostgreSQL, measure (about 10 minutes)
#   bench/run.sh 0.05     # a quick smoke run
#
# Builds the release binary, seeds a fresh PostgreSQL database at the given
# scale, serves it, and for each query of the mix measures requests/s, p50
# and p99 latency at 1 and 16 clients (oha), SQL statements per request
# (the server's own ltc_db_statements_total, at one client), and the
# server's resident memory under 16 clients. Then the same rows fetched by
# hand-written SQL (pgbench) as the database's own limit, the signed
# 1,000-lead webhook batches, and two instances behind the load generator
# with both outbox workers draining ERP pushes into a fake ERP that logs
# every idempotency key. Prints the Markdown table; everything raw lands in
# bench/results/scale-<N>-<time>/.
#
# Settings (environment): PGHOST (127.0.0.1), PGPORT (5432), PGUSER
# (postgres), BENCH_DB (ltc_bench_<scale>), DURATION per oha run (10s),
# SQL_DURATION per pgbench run in seconds (10), STMT_REQUESTS (50),
# WEBHOOK_BATCHES (6), ERP_JOBS (2000), PORT (28480), SEED (42),
# AS_OF (today), SKIP_BUILD=1, LTC_BIN (a binary to use instead of the build),
# REUSE_DB=1 (keep an already seeded database).
# Tools: cargo, oha (cargo install oha --locked), psql, pgbench, python3, curl.

set -euo pipefail

SCALE=${1:?usage: bench/run.sh SCALE}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-ltc_bench_${SCALE//./_}}
DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
DURATION=${DURATION:-10s}
SQL_DURATION=${SQL_DURATION:-10}
STMT_REQUESTS=${STMT_REQUESTS:-50}
WEBHOOK_BATCHES=${WEBHOOK_BATCHES:-6}
ERP_JOBS=${ERP_JOBS:-2000}
PORT=${PORT:-28480}
PORT_B=$((PORT + 1))
ERP_PORT=$((PORT + 10))
SEED=${SEED:-42}
AS_OF=${AS_OF:-$(date -u +%F)}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$HERE/results/scale-$SCALE-$STAMP}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LTC=${LTC_BIN:-$TARGET_DIR/release/ltc}
JWT_SECRET=bench-only-jwt-secret-0123456789abcdef
WHSEC="whsec_$(printf 'bench-only-webhook-signing-key!!' | base64)"
RESULTS=$OUT/results.jsonl
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$OUT/bodies" "$OUT/raw"
: > "$RESULTS"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*" >&2; }
note() { python3 -c 'import json,sys; print(json.dumps({"kind":"note","text":sys.argv[1]}))' "$*" >> "$RESULTS"; }

# --- build -----------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  say "building the release binary"
  (cd "$ROOT" && cargo build --release --bin ltc)
fi
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- src entity migration || echo "+dirty")

# --- seed ------------------------------------------------------------------
MARK="ltc-bench scale=$SCALE seed=$SEED as_of=$AS_OF"
CURRENT=$(psql -d postgres -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'" || true)
if [[ "${REUSE_DB:-0}" == 1 && "$CURRENT" == "$MARK" ]]; then
  say "reusing database $DB ($MARK)"
  note "Database reused from an earlier run ($MARK)."
else
  say "seeding $DB at scale $SCALE"
  dropdb --if-exists "$DB"
  createdb "$DB"
  SEED_START=$(date +%s.%N)
  "$LTC" seed --scale "$SCALE" --seed "$SEED" --as-of "$AS_OF" \
    --database-url "$DATABASE_URL" --data-dir "$OUT/data" | tee "$OUT/seed.log"
  SEED_SECONDS=$(python3 -c "import sys,time; print(round(time.time() - float(sys.argv[1]), 1))" "$SEED_START")
  psql -d "$DB" -qc "COMMENT ON DATABASE $DB IS '$MARK'"
  note "Seed (scale $SCALE, as of $AS_OF) took ${SEED_SECONDS}s including migrations."
fi
psql -d "$DB" -Atc "SELECT 'rows: accounts ' || (SELECT count(*) FROM accounts) || ', leads ' || (SELECT count(*) FROM leads) || ', opportunities ' || (SELECT count(*) FROM opportunities) || ', quotes ' || (SELECT count(*) FROM quotes) || ', quote lines ' || (SELECT count(*) FROM quote_lines) || ', contracts ' || (SELECT count(*) FROM contracts) || ', POs ' || (SELECT count(*) FROM purchase_orders) || ', receivables ' || (SELECT count(*) FROM receivables) || ', payments ' || (SELECT count(*) FROM payments) || '; database ' || pg_size_pretty(pg_database_size(current_database()))" \
  | tee "$OUT/rows.txt"
note "$(cat "$OUT/rows.txt")"

# --- serve -----------------------------------------------------------------
# start_ltc PORT LOGNAME [VAR=VALUE ...]: serves the benchmark database; prints the pid.
start_ltc() {
  local port=$1 name=$2
  shift 2
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is taken by another process; set PORT" >&2
    return 1
  fi
  # Metrics on PORT+1000; the benchmark's one token sends 16 requests at
  # once and thousands a second, so its per-caller limits are raised to match.
  env LTC_DATABASE_URL="$DATABASE_URL" LTC_DATA_DIR="$OUT/data" LTC_BIND="127.0.0.1:$port" \
    LTC_METRICS_BIND="127.0.0.1:$((port + 1000))" LTC_MAX_CONCURRENT_REQUESTS_PER_CALLER=64 \
    LTC_MAX_REQUESTS_PER_SECOND_PER_CALLER=1000000 \
    LTC_JWT_SECRET="$JWT_SECRET" LTC_LEADS_WEBHOOK_SECRET="$WHSEC" RUST_LOG=warn \
    LTC_DB_MAX_CONNECTIONS="${LTC_DB_MAX_CONNECTIONS:-16}" LTC_WORKER_ENABLED=false "$@" \
    "$LTC" serve > "$OUT/raw/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/readyz" > /dev/null; then
      echo "$pid"
      return 0
    fi
    sleep 0.2
  done
  echo "ltc on port $port did not become ready; see $OUT/raw/$name.log" >&2
  return 1
}

statements() { curl -sf "http://127.0.0.1:$(($1 + 1000))/metrics" | awk '/^ltc_db_statements_total /{print $2}'; }
# Seconds spent in SQL statements so far, as the server's driver timed them.
sql_seconds() { curl -sf "http://127.0.0.1:$(($1 + 1000))/metrics" | awk '/^ltc_db_statement_duration_seconds_sum /{print $2}'; }

# settle: waits until requests still running on the server (oha stops
# sending at its deadline, the server finishes what it took) are done, so
# they count neither in the next statement counts nor in its latencies.
settle() {
  local a b
  for _ in $(seq 1 240); do
    a=$(statements "$PORT"); sleep 0.5; b=$(statements "$PORT")
    [[ "$a" == "$b" ]] && return 0
  done
}

say "starting ltc on port $PORT (outbox worker off, so only requests run SQL)"
SERVER=$(start_ltc "$PORT" server)
PIDS+=("$SERVER")

token() { "$LTC" token --jwt-secret "$JWT_SECRET" --data-dir "$OUT/data" --ttl-minutes 240 "$@"; }
MANAGER=$(token --sub manager-01 --name "Bench Manager" --role SALES_MANAGER --role FINANCE)
SALES=$(token --sub user-0001 --name "Bench Sales" --role SALES)

# --- ids and bodies ----------------------------------------------------------
DEAL=$(psql -d "$DB" -Atc "SELECT c.opportunity_id FROM contracts c JOIN purchase_orders p ON p.contract_id = c.id WHERE c.status = 'COMPLETED' GROUP BY c.opportunity_id ORDER BY count(*) DESC, c.opportunity_id LIMIT 1")
[[ -n "$DEAL" ]] || { echo "no completed contract to trace" >&2; exit 1; }
body() { # body NAME VARIABLES_JSON
  python3 - "$HERE/queries/$1.graphql" "$2" > "$OUT/bodies/$1.json" <<'PY'
import json, sys
query = open(sys.argv[1]).read()
print(json.dumps({"query": query, "variables": json.loads(sys.argv[2])}))
PY
}
body q1_pipeline '{}'
body q2_inbox '{}'
body q3_lead_to_cash "{\"id\": \"$DEAL\"}"
body q4_aging "{\"asOf\": \"$AS_OF\"}"
body q5_capture_lead '{"input": {"source": "WEB", "email": "bench.capture@newco-bench.io", "firstName": "Bench", "lastName": "Capture", "company": "NewCo Bench", "phone": "+49 30 5550199", "title": "CTO", "timeline": "WITHIN_QUARTER", "budget": {"amount": "25000", "currency": "EUR"}}}'

# check NAME TOKEN: one request, which must answer 200 without errors.
check() {
  local code
  code=$(curl -s -o "$OUT/raw/$1.sample.json" -D "$OUT/raw/$1.headers" -w '%{http_code}' "http://127.0.0.1:$PORT/graphql" \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' --data-binary "@$OUT/bodies/$1.json")
  if [[ "$code" != 200 ]] || grep -q '"errors"' "$OUT/raw/$1.sample.json"; then
    echo "$1 failed ($code): $(head -c 600 "$OUT/raw/$1.sample.json")" >&2
    exit 1
  fi
}

# measure NAME TOKEN: statements per request, then 1 and 16 clients.
measure() {
  local name=$1 tok=$2 before after rss_file sampler
  settle
  check "$name" "$tok"
  note "$name, one request: $(tr -d '\r' < "$OUT/raw/$name.headers" | grep -i '^server-timing:' || echo 'no Server-Timing')"
  local args=(--no-tui -m POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json'
    -D "$OUT/bodies/$name.json" "http://127.0.0.1:$PORT/graphql")
  before=$(statements "$PORT")
  before_s=$(sql_seconds "$PORT")
  oha -n "$STMT_REQUESTS" -c 1 --output-format quiet "${args[@]}"
  after=$(statements "$PORT")
  after_s=$(sql_seconds "$PORT")
  python3 -c 'import json,sys; n=int(sys.argv[4]); print(json.dumps({"kind":"stmts","name":sys.argv[1],"per_request":(float(sys.argv[3])-float(sys.argv[2]))/n,"sql_ms":(float(sys.argv[6])-float(sys.argv[5]))*1000/n}))' \
    "$name" "$before" "$after" "$STMT_REQUESTS" "$before_s" "$after_s" >> "$RESULTS"
  say "$name: 1 client for $DURATION"
  settle
  oha -z "$DURATION" -c 1 --output-format json "${args[@]}" > "$OUT/raw/$name-c1.json"
  python3 "$HERE/report.py" oha "$name" 1 "$OUT/raw/$name-c1.json" >> "$RESULTS"
  say "$name: 16 clients for $DURATION"
  settle
  rss_file=$OUT/raw/$name-rss.txt
  (while kill -0 "$SERVER" 2>/dev/null; do awk '/^VmRSS/{print $2}' "/proc/$SERVER/status"; sleep 0.2; done > "$rss_file") &
  sampler=$!
  oha -z "$DURATION" -c 16 --output-format json "${args[@]}" > "$OUT/raw/$name-c16.json"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  python3 "$HERE/report.py" oha "$name" 16 "$OUT/raw/$name-c16.json" >> "$RESULTS"
  python3 -c 'import json,sys; v=[int(x) for x in open(sys.argv[2]) if x.strip()]; print(json.dumps({"kind":"rss","name":sys.argv[1],"max_mb":max(v)/1024 if v else None}))' \
    "$name" "$rss_file" >> "$RESULTS"
}

IDLE_BEFORE=$(statements "$PORT"); sleep 2; IDLE_AFTER=$(statements "$PORT")
note "Idle server: $((${IDLE_AFTER%.*} - ${IDLE_BEFORE%.*})) SQL statements in 2 s (background work that would skew the per-request counts)."

measure q1_pipeline "$MANAGER"
measure q2_inbox "$MANAGER"
measure q3_lead_to_cash "$MANAGER"
measure q4_aging "$MANAGER"
measure q5_capture_lead "$SALES"

# --- the signed webhook ----------------------------------------------------
say "webhook: $WEBHOOK_BATCHES batches of 1,000 leads, 1 and 16 senders"
WEBHOOK_URL="http://127.0.0.1:$PORT/webhooks/leads"
hook_status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$WEBHOOK_URL" -H 'Content-Type: application/json' -d '{}')
if [[ "$hook_status" == 404 ]]; then
  note "The leads webhook answered 404 (not merged or not configured): not measured."
else
  settle
  before=$(statements "$PORT")
  before_s=$(sql_seconds "$PORT")
  python3 "$HERE/webhook_load.py" "$WEBHOOK_URL" "$WHSEC" --batches 1 --size 1000 --run "stmt$STAMP" > "$OUT/raw/webhook-stmts.json"
  after=$(statements "$PORT")
  after_s=$(sql_seconds "$PORT")
  python3 -c 'import json,sys; print(json.dumps({"kind":"stmts","name":"q6_webhook_1000_leads","per_request":float(sys.argv[2])-float(sys.argv[1]),"sql_ms":(float(sys.argv[4])-float(sys.argv[3]))*1000}))' "$before" "$after" "$before_s" "$after_s" >> "$RESULTS"
  for clients in 1 16; do
    settle
    rss_file=$OUT/raw/webhook-c$clients-rss.txt
    (while kill -0 "$SERVER" 2>/dev/null; do awk '/^VmRSS/{print $2}' "/proc/$SERVER/status"; sleep 0.2; done > "$rss_file") &
    sampler=$!
    batches=$WEBHOOK_BATCHES
    [[ $clients == 16 ]] && batches=$((WEBHOOK_BATCHES > 16 ? WEBHOOK_BATCHES : 16))
    python3 "$HERE/webhook_load.py" "$WEBHOOK_URL" "$WHSEC" --batches "$batches" --size 1000 \
      --concurrency "$clients" --run "c$clients$STAMP" > "$OUT/raw/webhook-c$clients.json" || true
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    python3 - "$OUT/raw/webhook-c$clients.json" "$clients" "$rss_file" >> "$RESULTS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(kind="webhook", name="q6_webhook_1000_leads", clients=int(sys.argv[2]))
print(json.dumps(r))
if int(sys.argv[2]) == 16:
    v = [int(x) for x in open(sys.argv[3]) if x.strip()]
    print(json.dumps({"kind": "rss", "name": "q6_webhook_1000_leads", "max_mb": max(v) / 1024 if v else None}))
PY
  done
fi
settle
HWM=$(awk '/^VmHWM/{print $2}' "/proc/$SERVER/status")
note "Server peak resident memory over the whole single-instance run (VmHWM): $((HWM / 1024)) MB."

# --- the database's own limit ------------------------------------------------
say "hand-written SQL with pgbench, ${SQL_DURATION}s each"
for name in q1_pipeline q2_inbox q3_lead_to_cash q4_aging; do
  for clients in 1 16; do
    prefix=$OUT/raw/pgbench-$name-c$clients
    (cd "$OUT/raw" && pgbench -n -M prepared -f "$HERE/sql/$name.sql" -T "$SQL_DURATION" -c "$clients" \
      -j "$((clients < 2 ? 1 : 2))" -D opp="$DEAL" -D asof="$AS_OF" -l --log-prefix="$prefix" "$DB" \
      > "$prefix.out" 2>&1)
    python3 "$HERE/report.py" pgbench "$name" "$clients" "$prefix.out" "$prefix".[0-9]* >> "$RESULTS"
    rm -f "$prefix".[0-9]*
  done
done

# --- two instances ----------------------------------------------------------
say "two instances, both with the outbox worker, against one database"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
ERP_LOG=$OUT/raw/erp-keys.log
: > "$ERP_LOG"
python3 "$HERE/fake_erp.py" "$ERP_PORT" "$ERP_LOG" &
PIDS+=("$!")
# ERP pushes to do: mappable POs set back to PENDING, one queued job each.
psql -d "$DB" -q <<SQL
WITH picked AS (
  SELECT p.id FROM purchase_orders p JOIN accounts a ON a.id = p.account_id
  WHERE a.erp_customer_ref IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM purchase_order_lines l JOIN contract_lines cl ON cl.id = l.contract_line_id
                    JOIN products pr ON pr.id = cl.product_id
                    WHERE l.purchase_order_id = p.id AND pr.erp_item_code IS NULL)
    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.dedupe_key = 'erp.push_order:' || p.id)
  ORDER BY p.id LIMIT $ERP_JOBS
), reset AS (
  UPDATE purchase_orders SET erp_sync_status = 'PENDING', erp_order_ref = NULL, erp_attempts = 0,
         erp_last_error = NULL WHERE id IN (SELECT id FROM picked) RETURNING id
)
INSERT INTO jobs (id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at, created_at, updated_at)
SELECT gen_random_uuid(), 'erp.push_order', json_build_object('purchase_order_id', id), 'erp.push_order:' || id,
       'QUEUED', 0, 8, now(), now(), now() FROM reset;
SQL
QUEUED=$(psql -d "$DB" -Atc "SELECT count(*) FROM jobs WHERE kind = 'erp.push_order' AND status = 'QUEUED'")
CLUSTER_ENV=(LTC_WORKER_ENABLED=true LTC_ERP_KIND=generic LTC_ERP_URL="http://127.0.0.1:$ERP_PORT/orders"
  LTC_WORKER_POLL_MS=100)
A=$(start_ltc "$PORT" cluster-a "${CLUSTER_ENV[@]}")
PIDS+=("$A")
B=$(start_ltc "$PORT_B" cluster-b "${CLUSTER_ENV[@]}")
PIDS+=("$B")
for name in q2_inbox q1_pipeline; do
  oha -z "$DURATION" -c 16 --no-tui --output-format json -m POST -H "Authorization: Bearer $MANAGER" \
    -H 'Content-Type: application/json' -D "$OUT/bodies/$name.json" \
    --rand-regex-url "http://127[.]0[.]0[.]1:($PORT|$PORT_B)/graphql" > "$OUT/raw/cluster-$name.json"
  python3 "$HERE/report.py" oha "cluster_$name" 16 "$OUT/raw/cluster-$name.json" >> "$RESULTS"
done
graphql_requests() { curl -sf "http://127.0.0.1:$(($1 + 1000))/metrics" | awk '/^ltc_http_requests_total\{/ && /route="\/graphql"/ {s += $2} END {print s + 0}'; }
SPLIT="instance A answered $(graphql_requests "$PORT") GraphQL requests, instance B $(graphql_requests "$PORT_B")"
for _ in $(seq 1 300); do
  left=$(psql -d "$DB" -Atc "SELECT count(*) FROM jobs WHERE kind = 'erp.push_order' AND status IN ('QUEUED', 'RUNNING')")
  [[ "$left" == 0 ]] && break
  sleep 1
done
read -r DONE_JOBS RETRIED < <(psql -d "$DB" -AtF ' ' -c "SELECT count(*) FILTER (WHERE status = 'DONE'), count(*) FILTER (WHERE attempts > 1) FROM jobs WHERE kind = 'erp.push_order'")
POSTS=$(wc -l < "$ERP_LOG")
KEYS=$(sort -u "$ERP_LOG" | wc -l)
TWICE=$(sort "$ERP_LOG" | uniq -d | wc -l)
BY_A=$(psql -d "$DB" -Atc "SELECT count(DISTINCT locked_by) FROM jobs WHERE kind = 'erp.push_order'")
note "Two instances: $QUEUED ERP push jobs queued; $DONE_JOBS done, $RETRIED with more than one attempt; the fake ERP got $POSTS pushes for $KEYS distinct keys, $TWICE key(s) pushed more than once; $BY_A distinct workers claimed jobs (left: ${left:-?}); $SPLIT."

# --- the table ---------------------------------------------------------------
{
  echo "Scale $SCALE, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(psql -d "$DB" -Atc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL, load average at start $LOAD_BEFORE, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  python3 "$HERE/report.py" table "$RESULTS"
} | tee "$OUT/table.md"
