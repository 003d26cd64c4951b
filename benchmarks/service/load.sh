#!/usr/bin/env bash
# Load benchmark for samples/Service: starts it (Release) on loopback, drives POST /v1/format and /v1/tokenize with
# wrk (bounded in time), and prints requests/s, p50/p99 latency and allocations per request (the service's
# GET /debug/allocations delta over wrk's completed requests, switched on by PARLEY_SERVICE_DEBUG=1 for this run only).
#
#   benchmarks/service/load.sh [TOKENIZER]       # default: ../shared/fixtures/tokenizers/phi-3-mini-4k-instruct
#   DURATION=10s THREADS=2 CONNECTIONS=32 PORT=5081 WARMUP=3s benchmarks/service/load.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tokenizer="${1:-$root/../shared/fixtures/tokenizers/phi-3-mini-4k-instruct}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"
warmup="${WARMUP:-3s}"
port="${PORT:-5081}"
base="http://127.0.0.1:$port"
body="${BODY:-$here/seed.json}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
[ -e "$tokenizer" ] || { echo "tokenizer not found: $tokenizer (pass a tokenizer.json or its folder)" >&2; exit 2; }

dotnet build "$root/samples/Service/Service.csproj" -c Release -nologo -v quiet >/dev/null
dll="$root/samples/Service/bin/Release/net10.0/Parley.Service.dll"

log="$(mktemp)"
PARLEY_SERVICE_DEBUG=1 dotnet "$dll" --urls "$base" --tokenizer "$tokenizer" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: $threads threads, $connections connections, $duration per endpoint after a $warmup warm-up; body: $(basename "$body") ($(wc -c <"$body") bytes)"
printf '| endpoint | requests/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | allocated B/request |\n|---|---:|---:|---:|---:|---:|---:|---:|\n'
for endpoint in /v1/format /v1/tokenize /healthz; do
  method=POST; args=("$body")
  [ "$endpoint" = /healthz ] && { method=GET; args=(); }   # the framework's floor: Kestrel + routing, no Parley work
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$here/post.lua" "$base$endpoint" -- "${args[@]}" >/dev/null
  before="$(curl -fsS "$base/debug/allocations")"
  out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/post.lua" "$base$endpoint" -- "${args[@]}")"
  after="$(curl -fsS "$base/debug/allocations")"
  line="$(grep '^RESULT' <<<"$out")"
  get() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$line"; }
  bytes=$(( $(field allocated_bytes <<<"$after") - $(field allocated_bytes <<<"$before") ))
  reqs="$(get requests)"   # wrk's count of completed requests in the measured window
  per=$(( reqs > 0 ? bytes / reqs : 0 ))
  printf '| `%s %s` | %s | %s | %s | %s | %s | %s | %s |\n' "$method" "$endpoint" "$(get rps)" "$(get p50_ms)" "$(get p90_ms)" "$(get p99_ms)" "$(get max_ms)" "$(get non2xx)" "$per"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
