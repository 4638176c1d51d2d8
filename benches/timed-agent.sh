#!/bin/sh
# A fake agent for the makespan benchmark: like instant-agent.sh, but works
# for the task's known time first — `$NEXUS_BENCH_DURATIONS/<task id>` holds
# it in seconds; the task id is read from the prompt's "# Task `<id>`" line.
sid=""
prev=""
prompt=""
for arg in "$@"; do
  case "$prev" in --session-id|--resume) sid="$arg" ;; esac
  prev="$arg"
  prompt="$arg"
done
[ -n "$sid" ] || sid="00000000-0000-4000-8000-000000000000"
task=$(printf '%s\n' "$prompt" | sed -n 's/^# Task `\([^`]*\)`.*/\1/p' | head -n 1)
if [ -n "$task" ] && [ -f "$NEXUS_BENCH_DURATIONS/$task" ]; then
  sleep "$(cat "$NEXUS_BENCH_DURATIONS/$task")"
fi
dir="$HOME/.claude/projects/$(pwd | tr -c 'A-Za-z0-9\n' '-')"
mkdir -p "$dir" && echo '{}' >> "$dir/$sid.jsonl"
printf '%s\n' "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\",\"claude_code_version\":\"2.1.197\"}"
printf '%s\n' "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"api_error_status\":null,\"num_turns\":1,\"result\":\"done\",\"session_id\":\"$sid\",\"total_cost_usd\":0,\"usage\":{\"input_tokens\":1,\"output_tokens\":1},\"permission_denials\":[]}"
