#!/usr/bin/env bash
# Benchmark of the dispatcher's ready order (issue 9): random 40-task DAGs
# whose tasks take known times (the fake agent `timed-agent.sh` sleeps each
# task's duration), run by `nexus run --parallel 4` with the durations as the
# plan's estimates, against a simulated ideal list scheduler given the same
# estimates and the same rules (4 slots, one turn per agent instance, two
# instances per agent), which orders ready tasks by the longest remaining
# path in time. Also simulated: the old order (the longest chain in task
# count), for reference. Reports each DAG's makespans and the mean ratio.
#
#   benches/makespan.sh [DAGS=8] [TASKS=40] [SECONDS_PER_MINUTE=0.04]
set -euo pipefail
cd "$(dirname "$0")/.."
DAGS="${1:-8}"
TASKS="${2:-40}"
SCALE="${3:-0.04}"
cargo build --release --quiet
NEXUS="$PWD/target/release/nexus"
AGENT="$PWD/benches/timed-agent.sh"
work="$(mktemp -d "${NEXUS_BENCH_TMP:-${TMPDIR:-/tmp}}/nexus-makespan.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
mkdir -p "$HOME"
export NEXUS_CLAUDE_BIN="$AGENT"

for dag in $(seq 1 "$DAGS"); do
  dir="$work/dag$dag"
  mkdir -p "$dir/durations" && cd "$dir"
  "$NEXUS" -q init
  sed -i 's/^instances = 1$/instances = 2/' .nexus/agents/*.toml
  # The agent's environment is an allow-list: let the durations through.
  sed -i 's/^pass_env = \[\]$/pass_env = ["NEXUS_BENCH_*"]/' .nexus/config.toml
  python3 - "$dag" "$TASKS" "$SCALE" "$dir/durations" > plan.json <<'PY'
import json, random, sys
seed, count, scale, durations = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
agents = [("aria_coordinator", "analysis"), ("code_developer", "implementation"),
          ("alpha_test_creator", "test_creation"), ("beta_test_validator", "validation")]
tasks = []
for i in range(count):
    earlier = list(range(i))
    deps = sorted(rng.sample(earlier, min(len(earlier), rng.choice([0, 0, 1, 1, 2, 3]))))
    minutes = rng.randint(1, 20)
    agent, kind = rng.choice(agents)
    tasks.append({"id": f"t{i:02d}", "title": f"task {i}", "type": kind, "agent": agent,
                  "depends_on": [f"t{d:02d}" for d in deps], "estimate_minutes": minutes})
    with open(f"{durations}/t{i:02d}", "w") as f:
        f.write(f"{minutes * scale:.3f}\n")
print(json.dumps({"tasks": tasks}))
PY
  "$NEXUS" -q plan --from plan.json --id bench > /dev/null
  start=$(date +%s.%N)
  NEXUS_BENCH_DURATIONS="$dir/durations" "$NEXUS" -q run bench --parallel 4 > /dev/null
  end=$(date +%s.%N)
  echo "$dag $(echo "$end - $start" | bc)" >> "$work/measured"
done

python3 - "$work" "$DAGS" "$SCALE" <<'PY'
import json, sys
work, dags, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
measured = dict(line.split() for line in open(f"{work}/measured"))

def simulate(tasks, key, parallel=4, instances=2):
    n = len(tasks)
    ids = [t["id"] for t in tasks]
    index = {t: i for i, t in enumerate(ids)}
    deps = [[index[d] for d in t["depends_on"]] for t in tasks]
    dependents = [[] for _ in range(n)]
    for i, ds in enumerate(deps):
        for d in ds:
            dependents[d].append(i)
    weight = [t["estimate_minutes"] * scale for t in tasks]
    rank = key(deps, dependents, weight)
    left = [len(d) for d in deps]
    started, done, now, running, busy = [False] * n, 0, 0.0, [], {}
    while done < n:
        ready = sorted((i for i in range(n) if not started[i] and left[i] == 0),
                       key=lambda i: (-rank[i], i))
        for i in ready:
            if len(running) >= parallel:
                break
            agent = tasks[i]["agent"]
            if busy.get(agent, 0) >= instances:
                continue
            busy[agent] = busy.get(agent, 0) + 1
            started[i] = True
            running.append((now + weight[i], i))
        end = min(e for e, _ in running)
        now = end
        for e, i in [r for r in running if r[0] <= now]:
            running.remove((e, i))
            done += 1
            busy[tasks[i]["agent"]] -= 1
            for j in dependents[i]:
                left[j] -= 1
    return now

def remaining(deps, dependents, weight, unit=False):
    n = len(deps)
    memo = [None] * n
    def go(i):
        if memo[i] is None:
            memo[i] = (1 if unit else weight[i]) + max((go(j) for j in dependents[i]), default=0)
        return memo[i]
    return [go(i) for i in range(n)]

ratios, old_ratios = [], []
for dag in range(1, dags + 1):
    tasks = json.load(open(f"{work}/dag{dag}/plan.json"))["tasks"]
    ideal = simulate(tasks, lambda d, s, w: remaining(d, s, w))
    by_count = simulate(tasks, lambda d, s, w: remaining(d, s, w, unit=True))
    real = float(measured[str(dag)])
    ratios.append(real / ideal)
    old_ratios.append(by_count / ideal)
    print(f"DAG {dag}: nexus {real:.2f} s, ideal {ideal:.2f} s, ratio {real / ideal:.3f} "
          f"(order by task count, simulated: {by_count / ideal:.3f})")
mean = sum(ratios) / len(ratios)
print(f"mean nexus/ideal {mean:.3f} (worst {max(ratios):.3f}); "
      f"the old count-based order simulated: mean {sum(old_ratios) / len(old_ratios):.3f}, "
      f"worst {max(old_ratios):.3f}")
PY
