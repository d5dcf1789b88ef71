#!/usr/bin/env bash
# The documents part of the benchmark (not a test; scripts/bench runs it at its end, and it
# runs alone too). On a fresh data directory and gateway (127.0.0.1, a free port):
#   - upload: ITI-105 deposits of DOC_MIB MiB PDF documents (POST /fhir/DocumentReference, the
#     bytes base64 inline), wrk with bench.d/upload.lua for DURATION seconds on DOC_CONNECTIONS
#     connections, cycling through BODIES distinct documents (from then on the blob store
#     deduplicates: the bytes are still received, decoded, hashed, written to a temporary
#     file and fsynced, only the final link is skipped): documents/s and MB/s of document bytes;
#   - retrieve: GET /fhir/Binary/<id> of one of those documents (the raw bytes, streamed), wrk
#     for DURATION seconds: requests/s and MB/s;
#   - memory: the gateway restarted, its idle footprint (VmRSS after pairing and a first
#     request), then CLIENTS concurrent curl uploads of distinct BIG_MIB MiB documents, twice;
#     the peak (VmHWM of /proc/<pid>/status) against CLIENTS x BIG_MIB MiB + the idle footprint
#     (what holding each upload's decoded bytes in memory would at least cost).
# MB are 10^6 bytes; MiB 2^20.
#
#   DURATION=10 DOC_CONNECTIONS=8 DOC_MIB=1 BODIES=16 CLIENTS=8 BIG_MIB=20 scripts/bench.d/documents.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION="${DURATION:-10}"
DOC_CONNECTIONS="${DOC_CONNECTIONS:-8}"
HTTP_THREADS="${HTTP_THREADS:-8}"
DOC_MIB="${DOC_MIB:-1}"
BODIES="${BODIES:-16}"
CLIENTS="${CLIENTS:-8}"
BIG_MIB="${BIG_MIB:-20}"
BIN="${BIN:-build/bin}"
SCOPE="openid launch/patient patient/DocumentReference.rs patient/Binary.r patient/DocumentReference.cd patient/Binary.c"

work="$(mktemp -d "${TMPDIR:-/tmp}/mes-bench-docs.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench documents: $*" >&2; exit 1; }

command -v wrk >/dev/null || scripts/setup wrk curl python3
[ -x "$BIN/mes-gateway" ] || scripts/build mes-gateway >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; die "build failed"; }

free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found on 127.0.0.1"
}

data="$work/data"
mkdir -p "$data"
"$BIN/mes-gateway" seed-demo --data-dir "$data" --log-level warn >"$work/seed.json" ||
  die "seed-demo failed"
port=$(free_port)
base="http://127.0.0.1:$port"

start() {
  "$BIN/mes-gateway" serve --listen 127.0.0.1 --port "$port" --data-dir "$data" \
    --http-threads "$HTTP_THREADS" --oauth-access-token-seconds 3600 --log-level warn \
    >>"$work/gateway.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    curl -fsS --max-time 1 -o /dev/null "$base/healthz" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$work/gateway.log" >&2
  die "the gateway did not start"
}
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

# doc FILE MIB SEED: an ITI-105 body of MIB MiB of PDF-looking bytes (a %PDF header, then
# pseudo-random bytes from SEED: incompressible, distinct per SEED), with their size and SHA-1.
doc() {
  local bytes="$work/doc.bin"
  python3 -c 'import random, sys
header = b"%PDF-1.7\n% mes-gateway bench " + sys.argv[2].encode() + b"\n"
n = int(sys.argv[1]) * 1048576
sys.stdout.buffer.write(header + random.Random(sys.argv[2]).randbytes(n - len(header)))' "$2" "$3" >"$bytes"
  local size hash
  size=$(stat -c %s "$bytes")
  hash=$(openssl dgst -sha1 -binary "$bytes" | base64 -w0)
  { printf '{"resourceType":"DocumentReference","status":"current","type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},'
    printf '"category":[{"coding":[{"system":"https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument","code":"10"}]}],'
    printf '"subject":{"reference":"Patient/demo"},"date":"2026-11-20T10:00:00+01:00",'
    printf '"content":[{"attachment":{"contentType":"application/pdf","size":%s,"hash":"%s","title":"bench.pdf","data":"' "$size" "$hash"
    base64 -w0 "$bytes"
    printf '"}}]}'
  } >"$1"
}

start
token=$(python3 scripts/bench.d/pair.py --base "$base" --data-dir "$data" --seed "$work/seed.json" \
          --patient demo --scope "$SCOPE" --count 1 2>"$work/pair.log" | cut -f1) ||
  { cat "$work/pair.log" >&2; die "pairing failed"; }
[ -n "$token" ] || die "no access token"
auth="Authorization: Bearer $token"

# --- upload and retrieve --------------------------------------------------------------------
bodies=()
for i in $(seq "$BODIES"); do
  doc "$work/body-$i.json" "$DOC_MIB" "$i"
  bodies+=("$work/body-$i.json")
done
first=$(curl -fsS -X POST "$base/fhir/DocumentReference" -H "$auth" \
          -H 'Content-Type: application/fhir+json' --data-binary "@${bodies[0]}") ||
  die "a first upload failed"
binary=$(printf '%s' "$first" | grep -o '"url":"Binary/[0-9a-f]*"' | cut -d'"' -f4)
[ -n "$binary" ] || die "no Binary in the first upload's answer"
curl -fsS -o "$work/check.bin" -H "$auth" "$base/fhir/$binary" || die "the first retrieve failed"

upload_cmd=(wrk -t2 "-c$DOC_CONNECTIONS" "-d${DURATION}s" --latency -s scripts/bench.d/upload.lua
            -H "$auth" "$base/fhir/DocumentReference")
UPLOAD_BODIES=$(IFS=:; echo "${bodies[*]}") timeout $((DURATION + 60)) "${upload_cmd[@]}" \
  >"$work/upload.wrk" 2>&1 || { cat "$work/upload.wrk" >&2; die "wrk (upload) failed"; }
retrieve_cmd=(wrk -t2 "-c$DOC_CONNECTIONS" "-d${DURATION}s" --latency -H "$auth" "$base/fhir/$binary")
timeout $((DURATION + 60)) "${retrieve_cmd[@]}" >"$work/retrieve.wrk" 2>&1 ||
  { cat "$work/retrieve.wrk" >&2; die "wrk (retrieve) failed"; }

stat_of() {  # stat_of FILE FIELD
  awk -v field="$2" '
    $1 == "Requests/sec:" { s["rps"] = $2 }
    $1 == "50%" { s["p50"] = $2 }
    $1 == "99%" { s["p99"] = $2 }
    $2 == "requests" && $3 == "in" { s["requests"] = $1; d = $4; sub(/s,$/, "", d); s["seconds"] = d }
    /Non-2xx or 3xx responses:/ { s["non2xx"] = $NF }
    $1 == "Socket" && $2 == "errors:" { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i + 0 }
    $1 == "bench-created" { s["created"] = $2 }
    $1 == "bench-other" { s["other"] = $2 }
    END { s["errors"] = e + 0; if (!("non2xx" in s)) s["non2xx"] = 0; print (field in s) ? s[field] : "" }
  ' "$1"
}
doc_bytes=$((DOC_MIB * 1048576))
up_created=$(stat_of "$work/upload.wrk" created)
up_seconds=$(stat_of "$work/upload.wrk" seconds)
up_docs=$(awk -v n="$up_created" -v s="$up_seconds" 'BEGIN { printf "%.1f", n / s }')
up_mb=$(awk -v n="$up_created" -v s="$up_seconds" -v b="$doc_bytes" 'BEGIN { printf "%.1f", n * b / s / 1e6 }')
re_rps=$(stat_of "$work/retrieve.wrk" rps)
re_mb=$(awk -v r="$re_rps" -v b="$doc_bytes" 'BEGIN { printf "%.1f", r * b / 1e6 }')

# --- memory under 8 concurrent 20 MiB uploads ------------------------------------------------
stop
start
curl -fsS -o /dev/null -H "$auth" "$base/fhir/DocumentReference?_count=1" || die "search failed"
sleep 1
idle_rss=$(kib "$pid" VmRSS)
idle_hwm=$(kib "$pid" VmHWM)
for i in $(seq "$CLIENTS"); do doc "$work/big-$i.json" "$BIG_MIB" "big-$i"; done
big_ok=0
big_total=0
start_ns=$(date +%s%N)
for round in 1 2; do
  cpids=()
  for i in $(seq "$CLIENTS"); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$base/fhir/DocumentReference" -H "$auth" \
      -H 'Content-Type: application/fhir+json' --data-binary "@$work/big-$i.json" \
      >"$work/big-$round-$i.status" &
    cpids+=($!)
  done
  for c in "${cpids[@]}"; do wait "$c"; done
  for i in $(seq "$CLIENTS"); do
    big_total=$((big_total + 1))
    [ "$(cat "$work/big-$round-$i.status")" = 201 ] && big_ok=$((big_ok + 1))
  done
done
big_seconds=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
peak_hwm=$(kib "$pid" VmHWM)
stop
naive_kib=$((CLIENTS * BIG_MIB * 1024 + idle_rss))

echo "documents ($(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ); $HTTP_THREADS server threads)"
printf '  %-58s %s\n' \
  "ITI-105 upload, ${DOC_MIB} MiB PDF, $DOC_CONNECTIONS connections, ${DURATION} s:" \
  "$up_docs documents/s, $up_mb MB/s of documents (p50 $(stat_of "$work/upload.wrk" p50), p99 $(stat_of "$work/upload.wrk" p99); $up_created created, $(stat_of "$work/upload.wrk" other) other, $(stat_of "$work/upload.wrk" errors) socket errors)" \
  "GET Binary, ${DOC_MIB} MiB raw, $DOC_CONNECTIONS connections, ${DURATION} s:" \
  "$re_rps requests/s, $re_mb MB/s (p50 $(stat_of "$work/retrieve.wrk" p50), p99 $(stat_of "$work/retrieve.wrk" p99); $(stat_of "$work/retrieve.wrk" non2xx) non-2xx, $(stat_of "$work/retrieve.wrk" errors) socket errors)" \
  "idle footprint after restart (VmRSS / VmHWM):" "$((idle_rss / 1024)) MiB / $((idle_hwm / 1024)) MiB" \
  "$CLIENTS concurrent ${BIG_MIB} MiB uploads x 2 rounds:" "$big_ok/$big_total created in $big_seconds s" \
  "peak RSS (VmHWM) during them:" "$((peak_hwm / 1024)) MiB" \
  "$CLIENTS x ${BIG_MIB} MiB + idle:" "$((naive_kib / 1024)) MiB (peak is $(awk -v p="$peak_hwm" -v n="$naive_kib" 'BEGIN { printf "%.2f", p / n }') of it)"
printf '  commands: %s\n            %s\n' "$(echo "${upload_cmd[*]}" | sed 's/Bearer [^ ]*/Bearer <token>/')" \
  "$(echo "${retrieve_cmd[*]}" | sed 's/Bearer [^ ]*/Bearer <token>/')"
[ "$(stat_of "$work/upload.wrk" other)" = 0 ] || echo "  THE UPLOAD RUN HAD NON-201 ANSWERS"
[ "$big_ok" = "$big_total" ] || echo "  SOME 20 MiB UPLOADS FAILED"
