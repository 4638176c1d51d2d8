#!/bin/sh
# A fake agent for demonstrations: answers like `claude -p --output-format
# stream-json --verbose` at once, keeps a transcript where the real CLI does
# (so sessions resume), and does a little real work in its working
# directory: `notes/<task>.md` with the task's title, which nexus then
# commits on the task's branch and merges. Name it with NEXUS_CLAUDE_BIN.
sid=""
prev=""
prompt=""
for arg in "$@"; do
  case "$prev" in --session-id|--resume) sid="$arg" ;; esac
  prev="$arg"
  prompt="$arg"
done
[ -n "$sid" ] || sid="00000000-0000-4000-8000-000000000000"
dir="$HOME/.claude/projects/$(pwd | tr -c 'A-Za-z0-9\n' '-')"
mkdir -p "$dir" && echo '{}' >> "$dir/$sid.jsonl"
# The prompt's heading is "# Task `ID`: TITLE".
heading=$(printf '%s\n' "$prompt" | grep -m1 '^# Task `')
task=$(printf '%s\n' "$heading" | sed -n 's/^# Task `\([^`]*\)`.*/\1/p')
title=$(printf '%s\n' "$heading" | sed -n 's/^# Task `[^`]*`: *//p')
reply="Nothing to write: this is a conversation."
if [ -n "$task" ]; then
  mkdir -p notes && printf '# %s\n\nDone by the demo agent.\n' "$title" > "notes/$task.md"
  reply="Wrote notes/$task.md."
fi
printf '%s\n' "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\",\"claude_code_version\":\"2.1.197\"}"
printf '%s\n' "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"api_error_status\":null,\"num_turns\":1,\"result\":\"$reply\",\"session_id\":\"$sid\",\"total_cost_usd\":0,\"usage\":{\"input_tokens\":1,\"output_tokens\":1},\"permission_denials\":[]}"
