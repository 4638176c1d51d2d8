#!/usr/bin/env bash
# Benchmark (not a timed test): `nexus status --json` over 100 plans × 100
# tasks against `cat` of the same JSON files. Target: ratio ≤ 3.
#
#   benches/status.sh [PLANS] [TASKS]
#
# Uses hyperfine when installed (`apt-get install hyperfine`), else a loop
# timed by bash. Builds the release binary and the `gen_state` example.
set -euo pipefail
cd "$(dirname "$0")/.."
plans="${1:-100}"
tasks="${2:-100}"
runs="${RUNS:-20}"

cargo build --release --quiet --bin nexus --example gen_state
nexus="$PWD/target/release/nexus"
gen="$PWD/target/release/examples/gen_state"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$nexus" init -q >/dev/null
"$gen" .nexus "$plans" "$tasks"
files=$(find .nexus -name '*.json' | wc -l)
bytes=$(find .nexus -name '*.json' -print0 | xargs -0 cat | wc -c)
echo "state: $plans plans × $tasks tasks: $files JSON files, $bytes bytes"

status_cmd="$nexus status --json >/dev/null"
cat_cmd="find .nexus -name '*.json' | xargs cat >/dev/null"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --runs "$runs" --export-csv "$work/times.csv" \
    -n status "$status_cmd" -n cat "$cat_cmd"
  status_s=$(awk -F, '$1=="status"{print $2}' "$work/times.csv")
  cat_s=$(awk -F, '$1=="cat"{print $2}' "$work/times.csv")
else
  mean() {
    local start end
    for _ in 1 2 3; do eval "$1"; done
    start=$(date +%s.%N)
    for _ in $(seq "$runs"); do eval "$1"; done
    end=$(date +%s.%N)
    echo "($end - $start) / $runs" | bc -l
  }
  status_s=$(mean "$status_cmd")
  cat_s=$(mean "$cat_cmd")
fi
awk -v s="$status_s" -v c="$cat_s" 'BEGIN {
  printf "status --json: %.1f ms   cat: %.1f ms   ratio: %.2f (target <= 3)\n", s*1000, c*1000, s/c
}'
