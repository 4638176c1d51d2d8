#!/usr/bin/env bash
# Benchmark of worktree mode (issue 11): what a task costs when its agent
# works in its own git worktree and the merge queue commits, merges and
# advances the plan's branch, against the same plan in shared mode (agents
# in the project, nothing committed). The agent is the instant demo agent
# (`examples/demo-agent.sh`: it writes one file per task), so the difference
# is nexus's git work. N independent tasks at --parallel 8 (two instances per
# agent), then a chain of M tasks.
#
#   benches/worktree.sh [N=200] [M=50]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHES="$PWD/benches"
N="${1:-200}"
M="${2:-50}"
cargo build --release --quiet
NEXUS="$PWD/target/release/nexus"
export NEXUS_CLAUDE_BIN="$PWD/examples/demo-agent.sh"
work="$(mktemp -d "${NEXUS_BENCH_TMP:-${TMPDIR:-/tmp}}/nexus-worktree.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
mkdir -p "$HOME"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

setup() { # dir tasks chain? mode
  local dir="$1" count="$2" chain="$3" mode="$4"
  mkdir -p "$dir" && cd "$dir"
  git init -q -b main && echo "# bench" > README.md && git add README.md && git commit -qm start
  "$NEXUS" -q init
  sed -i 's/^instances = 1$/instances = 2/' .nexus/agents/*.toml
  sed -i "s/^mode = \"worktree\"$/mode = \"$mode\"/" .nexus/config.toml
  "$BENCHES/bench-plan.py" "$count" "$chain" > plan.json
  "$NEXUS" -q plan --from plan.json --id bench > /dev/null
}

measure() { # dir -> seconds
  cd "$1"
  local start end
  start=$(date +%s.%N)
  "$NEXUS" -q run bench --parallel 8 > /dev/null 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

results=()
for shape in independent chain; do
  count=$N; [ "$shape" = chain ] && count=$M
  for mode in shared worktree; do
    setup "$work/$shape-$mode" "$count" "$shape" "$mode"
    results+=("$(measure "$work/$shape-$mode")")
  done
  merged=$(git -C "$work/$shape-worktree" rev-list --count --merges nexus/bench)
  [ "$merged" = "$count" ] || { echo "expected $count merges on nexus/bench, found $merged"; exit 1; }
done
python3 - "$N" "$M" "${results[@]}" <<'PY'
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
s1, w1, s2, w2 = map(float, sys.argv[3:])
print(f"{n} independent tasks, --parallel 8: shared {s1:.2f} s, worktree {w1:.2f} s, "
      f"+{(w1 - s1) / n * 1000:.1f} ms per task ({(w1 - s1) / n * 8 * 1000:.0f} ms per task-slot)")
print(f"{m}-task chain: shared {s2:.2f} s, worktree {w2:.2f} s, +{(w2 - s2) / m * 1000:.0f} ms per task")
PY
