#!/bin/sh
# An instant fake agent for benchmarks: answers like `claude -p
# --output-format stream-json --verbose` at once, and keeps a transcript file
# where the real CLI does so that sessions resume. Same program for nexus and
# for the xargs baseline.
sid=""
prev=""
for arg in "$@"; do
  case "$prev" in --session-id|--resume) sid="$arg" ;; esac
  prev="$arg"
done
[ -n "$sid" ] || sid="00000000-0000-4000-8000-000000000000"
dir="$HOME/.claude/projects/$(pwd | tr -c 'A-Za-z0-9\n' '-')"
mkdir -p "$dir" && echo '{}' >> "$dir/$sid.jsonl"
printf '%s\n' "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\",\"claude_code_version\":\"2.1.197\"}"
printf '%s\n' "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"api_error_status\":null,\"num_turns\":1,\"result\":\"done\",\"session_id\":\"$sid\",\"total_cost_usd\":0,\"usage\":{\"input_tokens\":1,\"output_tokens\":1},\"permission_denials\":[]}"
