
use builtin;
use str;

set edit:completion:arg-completer[nexus] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'nexus'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'nexus'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create `.nexus/` here: config, the four default agents, `.gitignore`'
            cand plan 'Turn a request into a plan of tasks (prints the plan id)'
            cand assign 'Give unassigned tasks an agent, or assign one task by hand'
            cand run 'Run a plan''s ready tasks in dependency order, in parallel'
            cand export 'Write a plan''s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master'
            cand reconcile 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent'
            cand ask 'Send one message to an agent''s session and print the reply'
            cand status 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
            cand metrics 'Print metrics in the Prometheus text format'
            cand log 'Print a task''s agent transcript'
            cand report 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)'
            cand messages 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)'
            cand graph 'Draw a plan''s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)'
            cand agents 'List and inspect agents'
            cand sessions 'Inspect, check and collect agent session records'
            cand memory 'Show or reset an agent''s memory'
            cand doctor 'Check the installation: `.nexus`, files, agent CLIs, API key, trust'
            cand trust 'Allow the commands committed in `.nexus` (verify, checks) to run here'
            cand diff 'Show what a plan (or one task) changed, from its branch'
            cand land 'Bring a finished plan''s branch into your current branch'
            cand reject 'Take a merged task back out of its plan''s branch and queue it again'
            cand workspaces 'List and prune the agents'' worktrees and nexus''s branches'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;init'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --force 'Overwrite config and default agents with the defaults'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;plan'= {
            cand --from 'Import a plan file instead of asking a planner: a nexus plan (JSON) or a Task Master `tasks.json`; `-` reads stdin'
            cand --input-format 'The format of `--from` (default: recognised from the file)'
            cand --tag 'The Task Master tag to import (default: `master`)'
            cand --planner 'The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config)'
            cand --model 'The model for the openai or claude planner'
            cand --priority 'The plan''s priority'
            cand --deadline 'A deadline, passed to the planner and agents as written'
            cand --context 'Context for the planner and every task (repeatable)'
            cand --context-file 'Context from a file: a JSON object or `KEY=VALUE` lines'
            cand --id 'The plan id (default: a new random id)'
            cand --revise 'Revise this plan in the light of what completed and what failed (kept tasks stay; the old version goes to its history); shows the changes and asks before writing'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --dry-run 'Print the plan without writing it'
            cand -y 'Write the revision without asking (needed when stdin is not a terminal)'
            cand --yes 'Write the revision without asking (needed when stdin is not a terminal)'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand rm 'Delete a plan: its files under `.nexus` and its branches'
            cand adopt 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;plan;rm'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand -y 'Do not ask'
            cand --yes 'Do not ask'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;plan;adopt'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;plan;help'= {
            cand rm 'Delete a plan: its files under `.nexus` and its branches'
            cand adopt 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;plan;help;rm'= {
        }
        &'nexus;plan;help;adopt'= {
        }
        &'nexus;plan;help;help'= {
        }
        &'nexus;assign'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --force 'Reassign a task that is running or finished'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;run'= {
            cand --task 'Run exactly this task (its dependencies must be completed)'
            cand -j 'Tasks at the same time (default: `[run] parallel`)'
            cand --parallel 'Tasks at the same time (default: `[run] parallel`)'
            cand --max-cost 'Stop scheduling before the plan''s cost would pass this (USD)'
            cand --base 'In a git repository: the commit the plan''s first run starts from (default: `HEAD`); its integration branch `nexus/<plan>` starts there'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --force 'With `--task`: run even if dependencies are not completed'
            cand --retry-failed 'Run failed and blocked tasks again'
            cand --dry-run 'Print the argv and prompt of every task that would run; change nothing'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;export'= {
            cand --to 'The executor to write for'
            cand -o 'Write exactly this file (atomically; never through a symlink) instead of stdout (`-` is stdout). Task Master: instead of the imported file (which is the default), or the file to update when the plan remembers none'
            cand --output 'Write exactly this file (atomically; never through a symlink) instead of stdout (`-` is stdout). Task Master: instead of the imported file (which is the default), or the file to update when the plan remembers none'
            cand --nexus 'How jobs call nexus (default: `nexus`, found on the executor''s PATH)'
            cand --partition 'Slurm: every job''s partition (an agent''s `[slurm]` table overrides this and the three below)'
            cand --time 'Slurm: every job''s time limit (`MINUTES`, `H:MM:SS`, `D-HH:MM:SS`)'
            cand --cpus-per-task 'Slurm: CPUs per task'
            cand --mem 'Slurm: memory per job (`4096`, `8G`)'
            cand --runs-on 'GitHub Actions: the runner label (default: `ubuntu-latest`)'
            cand --secret 'GitHub Actions: a repository secret every task step gets as the environment variable of the same name (repeatable; default: `ANTHROPIC_API_KEY`)'
            cand --setup 'GitHub Actions: a shell command run before nexus in every job, such as installing nexus and the agent''s CLI (repeatable)'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;reconcile'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;ask'= {
            cand --instance 'The agent instance (0-based)'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --new-session 'Start a fresh session instead of resuming'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;status'= {
            cand --interval 'Seconds between redraws with `--watch`'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --watch 'Redraw in place every `--interval` until Ctrl-C (one frame when stdout is not a terminal)'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;metrics'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;log'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand -f 'Keep printing as the transcript grows, until the task stops running or Ctrl-C. `--json` prints the raw stream-json lines'
            cand --follow 'Keep printing as the transcript grows, until the task stops running or Ctrl-C. `--json` prints the raw stream-json lines'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;report'= {
            cand -o 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --output 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --html 'One self-contained HTML page (summary, graph, timeline, cost per agent, every task''s result); readable offline, no script'
            cand --timeline 'Only the timeline, as SVG: every attempt on one lane per agent instance'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;messages'= {
            cand --format 'How to show them'
            cand -o 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --output 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;graph'= {
            cand --format 'The picture''s language (default: mermaid)'
            cand -o 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --output 'Write to FILE (atomically; a symlink there is refused) instead of stdout'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;agents'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List the agents'
            cand show 'Show one agent''s full profile and the system prompt nexus builds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;agents;list'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;agents;show'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;agents;help'= {
            cand list 'List the agents'
            cand show 'Show one agent''s full profile and the system prompt nexus builds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;agents;help;list'= {
        }
        &'nexus;agents;help;show'= {
        }
        &'nexus;agents;help;help'= {
        }
        &'nexus;sessions'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List session records with age, idle time, turns, cost and validity'
            cand show 'Show an agent''s session records'
            cand check 'Check every session''s transcript (no tokens spent)'
            cand gc 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`'
            cand test 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;sessions;list'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;sessions;show'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;sessions;check'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;sessions;gc'= {
            cand --older-than 'Idle time past which a record is removed (default: `[sessions] ttl`)'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --dry-run 'Print what would be removed; remove nothing'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;sessions;test'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand -y 'Start without asking (needed when stdin is not a terminal)'
            cand --yes 'Start without asking (needed when stdin is not a terminal)'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;sessions;help'= {
            cand list 'List session records with age, idle time, turns, cost and validity'
            cand show 'Show an agent''s session records'
            cand check 'Check every session''s transcript (no tokens spent)'
            cand gc 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`'
            cand test 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;sessions;help;list'= {
        }
        &'nexus;sessions;help;show'= {
        }
        &'nexus;sessions;help;check'= {
        }
        &'nexus;sessions;help;gc'= {
        }
        &'nexus;sessions;help;test'= {
        }
        &'nexus;sessions;help;help'= {
        }
        &'nexus;memory'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Show an agent''s remembered interactions'
            cand reset 'Forget an agent''s interactions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;memory;show'= {
            cand -n 'Show only the last N entries'
            cand --last 'Show only the last N entries'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;memory;reset'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;memory;help'= {
            cand show 'Show an agent''s remembered interactions'
            cand reset 'Forget an agent''s interactions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;memory;help;show'= {
        }
        &'nexus;memory;help;reset'= {
        }
        &'nexus;memory;help;help'= {
        }
        &'nexus;doctor'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;trust'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --list 'Only list the commands and whether they are trusted; change nothing'
            cand --revoke 'Forget every command trusted for this `.nexus`'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;diff'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --stat 'Only the files changed and their line counts'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;land'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --squash 'One commit with all of the plan''s changes instead of its history'
            cand --partial 'Land what is merged even though tasks are not completed'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;reject'= {
            cand --reason 'Why: the agent reads it when it does the task again'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;workspaces'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List the agents'' worktrees: commit, changes, size, idle time'
            cand prune 'Remove idle worktrees and the branches of finished or deleted plans'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;workspaces;list'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;workspaces;prune'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --dry-run 'Print what would be removed; remove nothing'
            cand --force 'Also remove idle worktrees that hold uncommitted changes (kept otherwise, and named)'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;workspaces;help'= {
            cand list 'List the agents'' worktrees: commit, changes, size, idle time'
            cand prune 'Remove idle worktrees and the branches of finished or deleted plans'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;workspaces;help;list'= {
        }
        &'nexus;workspaces;help;prune'= {
        }
        &'nexus;workspaces;help;help'= {
        }
        &'nexus;completions'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'nexus;help'= {
            cand init 'Create `.nexus/` here: config, the four default agents, `.gitignore`'
            cand plan 'Turn a request into a plan of tasks (prints the plan id)'
            cand assign 'Give unassigned tasks an agent, or assign one task by hand'
            cand run 'Run a plan''s ready tasks in dependency order, in parallel'
            cand export 'Write a plan''s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master'
            cand reconcile 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent'
            cand ask 'Send one message to an agent''s session and print the reply'
            cand status 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
            cand metrics 'Print metrics in the Prometheus text format'
            cand log 'Print a task''s agent transcript'
            cand report 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)'
            cand messages 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)'
            cand graph 'Draw a plan''s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)'
            cand agents 'List and inspect agents'
            cand sessions 'Inspect, check and collect agent session records'
            cand memory 'Show or reset an agent''s memory'
            cand doctor 'Check the installation: `.nexus`, files, agent CLIs, API key, trust'
            cand trust 'Allow the commands committed in `.nexus` (verify, checks) to run here'
            cand diff 'Show what a plan (or one task) changed, from its branch'
            cand land 'Bring a finished plan''s branch into your current branch'
            cand reject 'Take a merged task back out of its plan''s branch and queue it again'
            cand workspaces 'List and prune the agents'' worktrees and nexus''s branches'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;help;init'= {
        }
        &'nexus;help;plan'= {
            cand rm 'Delete a plan: its files under `.nexus` and its branches'
            cand adopt 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
        }
        &'nexus;help;plan;rm'= {
        }
        &'nexus;help;plan;adopt'= {
        }
        &'nexus;help;assign'= {
        }
        &'nexus;help;run'= {
        }
        &'nexus;help;export'= {
        }
        &'nexus;help;reconcile'= {
        }
        &'nexus;help;ask'= {
        }
        &'nexus;help;status'= {
        }
        &'nexus;help;metrics'= {
        }
        &'nexus;help;log'= {
        }
        &'nexus;help;report'= {
        }
        &'nexus;help;messages'= {
        }
        &'nexus;help;graph'= {
        }
        &'nexus;help;agents'= {
            cand list 'List the agents'
            cand show 'Show one agent''s full profile and the system prompt nexus builds'
        }
        &'nexus;help;agents;list'= {
        }
        &'nexus;help;agents;show'= {
        }
        &'nexus;help;sessions'= {
            cand list 'List session records with age, idle time, turns, cost and validity'
            cand show 'Show an agent''s session records'
            cand check 'Check every session''s transcript (no tokens spent)'
            cand gc 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`'
            cand test 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
        }
        &'nexus;help;sessions;list'= {
        }
        &'nexus;help;sessions;show'= {
        }
        &'nexus;help;sessions;check'= {
        }
        &'nexus;help;sessions;gc'= {
        }
        &'nexus;help;sessions;test'= {
        }
        &'nexus;help;memory'= {
            cand show 'Show an agent''s remembered interactions'
            cand reset 'Forget an agent''s interactions'
        }
        &'nexus;help;memory;show'= {
        }
        &'nexus;help;memory;reset'= {
        }
        &'nexus;help;doctor'= {
        }
        &'nexus;help;trust'= {
        }
        &'nexus;help;diff'= {
        }
        &'nexus;help;land'= {
        }
        &'nexus;help;reject'= {
        }
        &'nexus;help;workspaces'= {
            cand list 'List the agents'' worktrees: commit, changes, size, idle time'
            cand prune 'Remove idle worktrees and the branches of finished or deleted plans'
        }
        &'nexus;help;workspaces;list'= {
        }
        &'nexus;help;workspaces;prune'= {
        }
        &'nexus;help;completions'= {
        }
        &'nexus;help;help'= {
        }
    ]
    $completions[$command]
}
