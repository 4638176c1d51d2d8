#!/usr/bin/env bash
# Benchmark of `nexus run` (issue 5): a plan of N independent tasks with an
# instant fake agent at --parallel 8, against spawning the same N fake agent
# processes with `xargs -P8`; then a chain of M tasks (fully sequential).
# Reports wall times, their ratio, per-task overhead and nexus's peak RSS.
#
#   benches/run.sh [N=1000] [M=200]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHES="$PWD/benches"
N="${1:-1000}"
M="${2:-200}"
cargo build --release --quiet
NEXUS="$PWD/target/release/nexus"
AGENT="$PWD/benches/instant-agent.sh"
work="$(mktemp -d "${NEXUS_BENCH_TMP:-${TMPDIR:-/tmp}}/nexus-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
mkdir -p "$HOME"

setup() { # dir tasks chain?
  local dir="$1" count="$2" chain="$3"
  mkdir -p "$dir" && cd "$dir"
  "$NEXUS" -q init
  # Two instances per agent so --parallel 8 can use 8 sessions at once.
  sed -i 's/^instances = 1$/instances = 2/' .nexus/agents/*.toml
  "$BENCHES/bench-plan.py" "$count" "$chain" > plan.json
  "$NEXUS" -q plan --from plan.json --id bench > /dev/null
}

measure() { # label command...
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
  end=$(date +%s.%N)
  echo "$label $(echo "$end - $start" | bc) $(cat "$work/rss")"
}

export NEXUS_CLAUDE_BIN="$AGENT"
setup "$work/independent" "$N" independent
read -r _ nexus_wall nexus_rss < <(measure nexus "$NEXUS" run bench --parallel 8)
cd "$work/independent"
read -r _ xargs_wall _ < <(measure xargs sh -c "seq $N | xargs -P8 -I{} '$AGENT' -p --output-format stream-json --verbose --session-id 11111111-2222-4333-8444-{} -- task {}")
setup "$work/chain" "$M" chain
read -r _ chain_wall chain_rss < <(measure chain "$NEXUS" run bench --parallel 8)
cd "$work/chain"
read -r _ chain_xargs _ < <(measure xargs-chain sh -c "seq $M | xargs -P1 -I{} '$AGENT' -p --output-format stream-json --verbose --session-id 11111111-2222-4333-8444-{} -- task {}")

python3 - "$N" "$M" "$nexus_wall" "$xargs_wall" "$nexus_rss" "$chain_wall" "$chain_xargs" "$chain_rss" <<'PY'
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
nw, xw, rss, cw, cx, crss = map(float, sys.argv[3:])
print(f"{n} independent tasks, --parallel 8: nexus {nw:.2f} s, xargs -P8 {xw:.2f} s, "
      f"ratio {nw / xw:.2f}, overhead {(nw - xw) / n * 1000 * 8:.1f} ms per task-slot "
      f"({(nw - xw) / n * 1000:.2f} ms per task), peak RSS {rss / 1024:.1f} MB")
print(f"{m}-task chain: nexus {cw:.2f} s, xargs -P1 {cx:.2f} s, ratio {cw / cx:.2f}, "
      f"overhead {(cw - cx) / m * 1000:.1f} ms per task, peak RSS {crss / 1024:.1f} MB")
PY
