#!/usr/bin/env bash
# npm run fuzz: attacks a running local platform through its gateway and proves that no answer is a 5xx, that every
# error is the documented `{error: {code, message, ...}}`, and that nothing crashes.
#
#   1. starts `bin/local.ts` with a fresh DATA_DIR on ports shifted by SHOPFRONT_PORT_OFFSET (default 11000, so the
#      gateway is on 19080 and a platform on the catalog's ports is left alone), and waits for /health;
#   2. (a) fuzzes every operation of the gateway's OpenAPI document with schemathesis (from PyPI, pinned, cached under
#      ~/.cache/shopfront): a fixed seed and a bounded number of examples, a fresh customer's token, the admin's for
#      admin-only routes; checks: no 5xx, documented statuses, content types, headers and bodies, invalid input
#      refused, valid input accepted, auth not ignored;
#   3. (b) runs the hand-written attacks of test/hostile/attacks.ts (oversized and endless bodies, deep nesting,
#      prototype pollution, SQL, header injection, slow clients, forged tokens, replayed idempotency keys, ...);
#   4. checks the platform is still up and answers, stops it with SIGTERM and checks it exits 0.
#
# Prints a summary; with REPORT_DIR set, writes $REPORT_DIR/fuzz.json (the figures), fuzz-attacks.txt (a line per
# case) and fuzz-schemathesis.txt. Exits non-zero on any failure.
# Knobs: SHOPFRONT_PORT_OFFSET, FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_WORKERS.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh

SCHEMATHESIS_VERSION=4.32.5
OFFSET="${SHOPFRONT_PORT_OFFSET:-11000}"
SEED="${FUZZ_SEED:-20260101}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-60}"
WORKERS="${FUZZ_WORKERS:-2}"
GATEWAY="http://127.0.0.1:$((8080 + OFFSET))"

started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/shopfront-fuzz.XXXXXX")"
data_dir="$work/data"
platform_pid=""
failures=()

log() { printf '==> %s\n' "$*"; }
fail() {
  failures+=("$*")
  printf 'FAIL: %s\n' "$*" >&2
}
alive() { [[ -n "$platform_pid" ]] && kill -0 "$platform_pid" 2>/dev/null; }
json_field() { node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]]; if (v === undefined) process.exit(1); process.stdout.write(String(v))' "$1"; }

cleanup() {
  if alive; then
    kill -TERM "$platform_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive || break; sleep 0.5; done
    if alive; then kill -KILL "$platform_pid" 2>/dev/null || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The gateway's own count of answers by status class, from its Prometheus metrics: "<all> <5xx>".
gateway_counts() {
  curl -sf --max-time 10 "$GATEWAY/metrics" |
    awk '/^http_requests_total\{/ { n += $NF; if ($0 ~ /status_code="5/) e += $NF } END { printf "%d %d\n", n, e }'
}

if (exec 3<>"/dev/tcp/127.0.0.1/$((8080 + OFFSET))") 2>/dev/null; then
  echo "port $((8080 + OFFSET)) is taken: another platform runs with SHOPFRONT_PORT_OFFSET=$OFFSET; choose another offset" >&2
  exit 1
fi

log "schemathesis $SCHEMATHESIS_VERSION (PyPI, cached)"
st="$(TOOLS_CACHE="$TOOLS_CACHE/schemathesis-$SCHEMATHESIS_VERSION" python_tool "schemathesis==$SCHEMATHESIS_VERSION" st)"
st_python="$(dirname "$st")/python"

log "starting the platform (gateway $GATEWAY, data in a fresh temporary folder)"
platform_started=$(date +%s)
mkdir -p "$data_dir"
# Always the embedded database and event log: a fuzz run never writes to a shared PostgreSQL or Kafka. The attacks
# read stock right after each order to prove it moved exactly once, so the gateway's catalogue cache is off.
env -u DATABASE_URL -u KAFKA_BROKERS DATA_DIR="$data_dir" LOG_LEVEL=warn SHOPFRONT_PORT_OFFSET="$OFFSET" \
  CATALOGUE_CACHE_TTL_MS=0 \
  bash bin/start.sh >"$work/platform.log" 2>&1 &
platform_pid=$!
for _ in $(seq 1 240); do
  alive || break
  curl -sf --max-time 2 "$GATEWAY/health" >/dev/null 2>&1 && break
  sleep 0.5
done
if ! alive || ! curl -sf --max-time 2 "$GATEWAY/health" >/dev/null 2>&1; then
  echo "the platform did not become healthy within 120 s:" >&2
  tail -n 40 "$work/platform.log" >&2
  exit 1
fi
boot_seconds=$(($(date +%s) - platform_started))
log "platform up in ${boot_seconds} s"

secrets="$data_dir/secrets.json"
admin_email="$(json_field adminEmail <"$secrets")"
admin_password="$(json_field adminPassword <"$secrets")"
login() {
  curl -sf --max-time 20 -X POST "$GATEWAY/api/v1/auth/login" -H 'content-type: application/json' \
    -d "$(node -e 'process.stdout.write(JSON.stringify({ email: process.argv[1], password: process.argv[2] }))' "$1" "$2")" |
    json_field accessToken
}
customer_email="fuzz.$(date +%s)@example.com"
customer_password='Fuzzing-customer 1 passphrase'
curl -sf --max-time 20 -X POST "$GATEWAY/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$customer_email\",\"password\":\"$customer_password\",\"name\":\"Fuzz\"}" >/dev/null
CUSTOMER_TOKEN="$(login "$customer_email" "$customer_password")"
ADMIN_TOKEN="$(login "$admin_email" "$admin_password")"
export CUSTOMER_TOKEN ADMIN_TOKEN

# ---- (a) schemathesis ----
# Every operation with the customer's token; POST /api/v1/products (admin only) with the admin's. Valid input may
# still be refused where JSON Schema cannot say why, and those statuses are allowed for that check alone: the
# password policy beyond its length (register), an opaque cursor this service did not issue (lists), one item per
# product and the order's own outcome (orders). Wrong methods on a known path are 404 by design, so the check that
# wants 405 is off.
cat >"$work/schemathesis.toml" <<'EOF'
# Nothing kept between runs (and nothing written into the repository): each run starts from the seed alone.
[cache]
enabled = false

[auth.openapi.bearerAuth]
bearer = "${CUSTOMER_TOKEN}"

[[operations]]
include-operation-id = "createProduct"
headers = { Authorization = "Bearer ${ADMIN_TOKEN}" }

[[operations]]
include-operation-id = "register"
checks.positive_data_acceptance.expected-statuses = [201, 400, 409]

[[operations]]
include-operation-id = ["listProducts", "listOrders"]
checks.positive_data_acceptance.expected-statuses = [200, 400]

[[operations]]
include-operation-id = "createOrder"
checks.positive_data_acceptance.expected-statuses = [201, 202, 400, 402, 409, 422]
EOF

log "(a) schemathesis: every operation, seed $SEED, at most $MAX_EXAMPLES examples each"
part_a_started=$(date +%s)
st_status=0
timeout --kill-after=10 180 "$st" --config-file "$work/schemathesis.toml" run "$GATEWAY/api/v1/openapi.json" \
  --url "$GATEWAY" \
  --checks all --exclude-checks unsupported_method \
  --seed "$SEED" --max-examples "$MAX_EXAMPLES" --generation-database none \
  --workers "$WORKERS" --request-timeout 20 --no-color \
  --report ndjson --report-ndjson-path "$work/schemathesis.ndjson" \
  >"$work/schemathesis.txt" 2>&1 || st_status=$?
part_a_seconds=$(($(date +%s) - part_a_started))
if [[ $st_status -ne 0 ]]; then
  sed -n '/^=* FAILURES =*$/,$p' "$work/schemathesis.txt" | head -n 150
  fail "schemathesis found failures (exit $st_status)"
fi
grep -E '^  (Selected|Tested):|generated,' "$work/schemathesis.txt" || true

# Every answer schemathesis received, checked here too: requests, 5xx, error shape, security headers.
curl -sf --max-time 10 "$GATEWAY/api/v1/openapi.json" >"$work/openapi.json"
"$st_python" - "$work/schemathesis.ndjson" "$work/openapi.json" >"$work/part-a.json" <<'EOF'
import base64, json, re, sys
import jsonschema_rs

error_schema = json.load(open(sys.argv[2]))["components"]["schemas"]["Error"]
validator = jsonschema_rs.validator_for(error_schema)
figures = {"requests": 0, "serverErrors": 0, "shapeViolations": 0, "headerViolations": 0, "operations": set()}
examples = []
for line in open(sys.argv[1]):
    event = json.loads(line)
    recorder = event.get("ScenarioFinished", {}).get("recorder", {})
    for interaction in recorder.get("interactions", {}).values():
        response = interaction.get("response")
        if not response:
            continue
        figures["requests"] += 1
        if re.match(r"^[A-Z]+ /", recorder.get("label", "")):
            figures["operations"].add(recorder["label"])
        status = response["status_code"]
        headers = {k.lower(): v[0] for k, v in response.get("headers", {}).items()}
        where = f'{interaction["request"]["method"]} {interaction["request"]["uri"]} -> {status}'
        if status >= 500:
            figures["serverErrors"] += 1
            examples.append(where)
        if "default-src 'none'" not in headers.get("content-security-policy", "") or headers.get("x-content-type-options") != "nosniff":
            figures["headerViolations"] += 1
            examples.append(f"{where}: no security headers")
        if status >= 300 and interaction["request"]["method"] != "HEAD":
            content = response.get("content") or {}
            raw = base64.b64decode(content["$base64"]) if "$base64" in content else (content.get("text") or "").encode()
            try:
                valid = headers.get("content-type", "").startswith("application/json") and validator.is_valid(json.loads(raw))
            except ValueError:
                valid = False
            if not valid:
                figures["shapeViolations"] += 1
                examples.append(f"{where}: not the error shape: {raw[:200]!r}")
figures["operations"] = len(figures["operations"])
figures["examples"] = examples[:20]
json.dump(figures, sys.stdout)
EOF
read -r a_requests a_5xx a_shape a_headers a_operations < <(node -e '
  const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(f.requests, f.serverErrors, f.shapeViolations, f.headerViolations, f.operations);
  for (const e of f.examples) console.error("  " + e);' "$work/part-a.json") || true
[[ $a_requests -gt 0 ]] || fail "schemathesis sent no request"
[[ $a_5xx -eq 0 ]] || fail "$a_5xx answers to schemathesis were 5xx"
[[ $a_shape -eq 0 ]] || fail "$a_shape error answers to schemathesis broke the documented error shape"
[[ $a_headers -eq 0 ]] || fail "$a_headers answers to schemathesis lacked the security headers"
alive || fail "the platform died during schemathesis"
read -r counted_a _ < <(gateway_counts || echo "0 0") || true

# ---- (b) hand-written attacks ----
log "(b) hand-written attacks (test/hostile/attacks.ts)"
part_b_started=$(date +%s)
attacks_status=0
timeout --kill-after=10 180 npx tsx test/hostile/attacks.ts "$GATEWAY" "$secrets" --report "$work/attacks.json" \
  >"$work/attacks.txt" 2>&1 || attacks_status=$?
part_b_seconds=$(($(date +%s) - part_b_started))
grep -E -A3 '^FAIL' "$work/attacks.txt" || true
tail -n 1 "$work/attacks.txt"
[[ $attacks_status -eq 0 ]] || fail "hand-written attacks failed (exit $attacks_status)"
[[ -f "$work/attacks.json" ]] || echo '{}' >"$work/attacks.json"
read -r b_cases b_failed b_requests b_5xx b_shape < <(node -e '
  const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(f.cases ?? 0, f.failed ?? 0, f.requests ?? 0, f.serverErrors ?? 0, f.shapeViolations ?? 0);' "$work/attacks.json") || true

# ---- the platform after both ----
read -r counted_all counted_all_5xx < <(gateway_counts || echo "0 0") || true
alive_after=false
if alive && curl -sf --max-time 5 "$GATEWAY/health" >/dev/null; then alive_after=true; else fail "the platform is down or unhealthy after the attacks"; fi
[[ $counted_all_5xx -eq 0 ]] || fail "the gateway counted $counted_all_5xx answers 5xx"
unexpected=$(grep -c '"msg":"unexpected error"' "$work/platform.log" || true)
[[ $unexpected -eq 0 ]] || fail "the platform logged $unexpected unexpected errors"

log "stopping the platform (SIGTERM)"
exit_code=-1
if alive; then
  kill -TERM "$platform_pid"
  for _ in $(seq 1 60); do alive || break; sleep 0.5; done
  if alive; then
    fail "the platform did not stop within 30 s of SIGTERM"
  else
    wait "$platform_pid" && exit_code=0 || exit_code=$?
    [[ $exit_code -eq 0 ]] || fail "the platform exited with $exit_code after SIGTERM"
  fi
fi
platform_pid=""
if grep -E '"level":(50|60)' "$work/platform.log" >/dev/null; then
  echo "errors the platform logged:" >&2
  grep -E '"level":(50|60)' "$work/platform.log" | head -n 10 | cut -c1-400 >&2
fi
crashes=$([[ $alive_after == true && $exit_code -eq 0 ]] && echo 0 || echo 1)
seconds=$(($(date +%s) - started))

printf '\n%-36s %10s %6s %16s %8s\n' part requests 5xx 'shape violations' seconds
printf '%-36s %10s %6s %16s %8s\n' "(a) schemathesis ($a_operations ops)" "$a_requests" "$a_5xx" "$a_shape" "$part_a_seconds"
printf '%-36s %10s %6s %16s %8s\n' "(b) attacks ($b_cases cases, $b_failed failed)" "$b_requests" "$b_5xx" "$b_shape" "$part_b_seconds"
printf '%-36s %10s %6s\n' 'gateway metrics (a + b)' "$counted_all" "$counted_all_5xx"
printf 'platform: up in %s s, alive after: %s, exit after SIGTERM: %s; crashes: %s; total %s s\n' \
  "$boot_seconds" "$alive_after" "$exit_code" "$crashes" "$seconds"

if [[ -n "${REPORT_DIR:-}" ]]; then
  mkdir -p "$REPORT_DIR"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [a, b, ...n] = process.argv.slice(1);
    const fs = require("fs");
    const num = (i) => Number(n[i]);
    const partA = JSON.parse(fs.readFileSync(a, "utf8"));
    const partB = JSON.parse(fs.readFileSync(b, "utf8"));
    const report = {
      ok: n[14] === "0",
      seconds: num(0),
      platform: { bootSeconds: num(1), aliveAfter: n[2] === "true", exitCode: num(3), crashes: num(4), unexpectedErrorsLogged: num(5) },
      schemathesis: {
        version: n[6], seed: num(7), maxExamples: num(8), seconds: num(9), exitCode: num(10),
        operations: partA.operations, requests: partA.requests, serverErrors: partA.serverErrors,
        shapeViolations: partA.shapeViolations, headerViolations: partA.headerViolations,
        gatewayCountedRequests: num(11),
      },
      attacks: { ...partB, exitCode: num(12), seconds: num(13) },
      totals: {
        requests: partA.requests + (partB.requests ?? 0),
        serverErrors: partA.serverErrors + (partB.serverErrors ?? 0),
        shapeViolations: partA.shapeViolations + (partB.shapeViolations ?? 0),
        crashes: num(4),
        gatewayCountedRequests: num(15),
        gatewayCounted5xx: num(16),
      },
    };
    fs.writeFileSync(`${process.env.REPORT_DIR}/fuzz.json`, JSON.stringify(report, null, 2) + "\n");
  ' "$work/part-a.json" "$work/attacks.json" \
    "$seconds" "$boot_seconds" "$alive_after" "$exit_code" "$crashes" "$unexpected" \
    "$SCHEMATHESIS_VERSION" "$SEED" "$MAX_EXAMPLES" "$part_a_seconds" "$st_status" "$counted_a" \
    "$attacks_status" "$part_b_seconds" "${#failures[@]}" "$counted_all" "$counted_all_5xx"
  # Every case's line and schemathesis' own output, beside the figures.
  cp "$work/attacks.txt" "$REPORT_DIR/fuzz-attacks.txt"
  cp "$work/schemathesis.txt" "$REPORT_DIR/fuzz-schemathesis.txt"
  echo "report: $REPORT_DIR/fuzz.json (cases: fuzz-attacks.txt, schemathesis: fuzz-schemathesis.txt)"
fi

if [[ ${#failures[@]} -gt 0 ]]; then
  printf '\nfuzz FAILED:\n' >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "fuzz passed: no 5xx, every error in the documented shape, no crash"
