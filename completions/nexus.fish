# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_nexus_global_optspecs
    string join \n dir= json color= q/quiet h/help V/version
end

function __fish_nexus_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_nexus_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_nexus_using_subcommand
    set -l cmd (__fish_nexus_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c nexus -n "__fish_nexus_needs_command" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_needs_command" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_needs_command" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_needs_command" -s V -l version -d 'Print version'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "init" -d 'Create `.nexus/` here: config, the four default agents, `.gitignore`'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "plan" -d 'Turn a request into a plan of tasks (prints the plan id)'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "assign" -d 'Give unassigned tasks an agent, or assign one task by hand'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "run" -d 'Run a plan\'s ready tasks in dependency order, in parallel'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "export" -d 'Write a plan\'s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "reconcile" -d 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "ask" -d 'Send one message to an agent\'s session and print the reply'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "status" -d 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "metrics" -d 'Print metrics in the Prometheus text format'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "log" -d 'Print a task\'s agent transcript'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "report" -d 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "messages" -d 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "graph" -d 'Draw a plan\'s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "agents" -d 'List and inspect agents'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "sessions" -d 'Inspect, check and collect agent session records'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "memory" -d 'Show or reset an agent\'s memory'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "doctor" -d 'Check the installation: `.nexus`, files, agent CLIs, API key, trust'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "trust" -d 'Allow the commands committed in `.nexus` (verify, checks) to run here'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "diff" -d 'Show what a plan (or one task) changed, from its branch'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "land" -d 'Bring a finished plan\'s branch into your current branch'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "reject" -d 'Take a merged task back out of its plan\'s branch and queue it again'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "workspaces" -d 'List and prune the agents\' worktrees and nexus\'s branches'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand init" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand init" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand init" -l force -d 'Overwrite config and default agents with the defaults'
complete -c nexus -n "__fish_nexus_using_subcommand init" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand init" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l from -d 'Import a plan file instead of asking a planner: a nexus plan (JSON) or a Task Master `tasks.json`; `-` reads stdin' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l input-format -d 'The format of `--from` (default: recognised from the file)' -r -f -a "taskmaster\t'A claude-task-master `tasks.json` (`.taskmaster/tasks/tasks.json`)'
nexus\t'A nexus plan: tasks with `depends_on`, or a stored `plan.json`'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l tag -d 'The Task Master tag to import (default: `master`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l planner -d 'The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config)' -r -f -a "auto\t'`openai` when its key variable is set, else `builtin`'
openai\t'An OpenAI-compatible Chat Completions server'
claude\t'The Claude CLI itself'
builtin\t'The offline pipeline of the original flow'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l model -d 'The model for the openai or claude planner' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l priority -d 'The plan\'s priority' -r -f -a "critical\t'Must be done first'
high\t'Important'
medium\t'Normal'
low\t'Whenever'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l deadline -d 'A deadline, passed to the planner and agents as written' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l context -d 'Context for the planner and every task (repeatable)' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l context-file -d 'Context from a file: a JSON object or `KEY=VALUE` lines' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l id -d 'The plan id (default: a new random id)' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l revise -d 'Revise this plan in the light of what completed and what failed (kept tasks stay; the old version goes to its history); shows the changes and asks before writing' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l dry-run -d 'Print the plan without writing it'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -s y -l yes -d 'Write the revision without asking (needed when stdin is not a terminal)'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -a "rm" -d 'Delete a plan: its files under `.nexus` and its branches'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -a "adopt" -d 'Adopt the checks a planner\'s model suggested as the task\'s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and not __fish_seen_subcommand_from rm adopt help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Do not ask'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from adopt" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from adopt" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from adopt" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from adopt" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from adopt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete a plan: its files under `.nexus` and its branches'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "adopt" -d 'Adopt the checks a planner\'s model suggested as the task\'s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
complete -c nexus -n "__fish_nexus_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l force -d 'Reassign a task that is running or finished'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand run" -l task -d 'Run exactly this task (its dependencies must be completed)' -r
complete -c nexus -n "__fish_nexus_using_subcommand run" -s j -l parallel -d 'Tasks at the same time (default: `[run] parallel`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand run" -l max-cost -d 'Stop scheduling before the plan\'s cost would pass this (USD)' -r
complete -c nexus -n "__fish_nexus_using_subcommand run" -l base -d 'In a git repository: the commit the plan\'s first run starts from (default: `HEAD`); its integration branch `nexus/<plan>` starts there' -r
complete -c nexus -n "__fish_nexus_using_subcommand run" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand run" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand run" -l force -d 'With `--task`: run even if dependencies are not completed'
complete -c nexus -n "__fish_nexus_using_subcommand run" -l retry-failed -d 'Run failed and blocked tasks again'
complete -c nexus -n "__fish_nexus_using_subcommand run" -l dry-run -d 'Print the argv and prompt of every task that would run; change nothing'
complete -c nexus -n "__fish_nexus_using_subcommand run" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand run" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand export" -l to -d 'The executor to write for' -r -f -a "make\t'A Makefile: one target per task, for `make -jN`'
slurm\t'A script of `sbatch` jobs with `afterok` dependencies and a last reconcile job'
github-actions\t'A workflow with one job per task and `needs:` from the dependencies'
taskmaster\t'The statuses nexus reached, written back into the Task Master file the plan was imported from (in place, or `-o FILE`)'"
complete -c nexus -n "__fish_nexus_using_subcommand export" -s o -l output -d 'Write exactly this file (atomically; never through a symlink) instead of stdout (`-` is stdout). Task Master: instead of the imported file (which is the default), or the file to update when the plan remembers none' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand export" -l nexus -d 'How jobs call nexus (default: `nexus`, found on the executor\'s PATH)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l partition -d 'Slurm: every job\'s partition (an agent\'s `[slurm]` table overrides this and the three below)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l time -d 'Slurm: every job\'s time limit (`MINUTES`, `H:MM:SS`, `D-HH:MM:SS`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l cpus-per-task -d 'Slurm: CPUs per task' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l mem -d 'Slurm: memory per job (`4096`, `8G`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l runs-on -d 'GitHub Actions: the runner label (default: `ubuntu-latest`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l secret -d 'GitHub Actions: a repository secret every task step gets as the environment variable of the same name (repeatable; default: `ANTHROPIC_API_KEY`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l setup -d 'GitHub Actions: a shell command run before nexus in every job, such as installing nexus and the agent\'s CLI (repeatable)' -r
complete -c nexus -n "__fish_nexus_using_subcommand export" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand export" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand export" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand export" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand reconcile" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand reconcile" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand reconcile" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand reconcile" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand reconcile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand ask" -l instance -d 'The agent instance (0-based)' -r
complete -c nexus -n "__fish_nexus_using_subcommand ask" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand ask" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand ask" -l new-session -d 'Start a fresh session instead of resuming'
complete -c nexus -n "__fish_nexus_using_subcommand ask" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand ask" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand ask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand status" -l interval -d 'Seconds between redraws with `--watch`' -r
complete -c nexus -n "__fish_nexus_using_subcommand status" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand status" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand status" -l watch -d 'Redraw in place every `--interval` until Ctrl-C (one frame when stdout is not a terminal)'
complete -c nexus -n "__fish_nexus_using_subcommand status" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand status" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand metrics" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand metrics" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand metrics" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand metrics" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand log" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand log" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand log" -s f -l follow -d 'Keep printing as the transcript grows, until the task stops running or Ctrl-C. `--json` prints the raw stream-json lines'
complete -c nexus -n "__fish_nexus_using_subcommand log" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand log" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand report" -s o -l output -d 'Write to FILE (atomically; a symlink there is refused) instead of stdout' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand report" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand report" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand report" -l html -d 'One self-contained HTML page (summary, graph, timeline, cost per agent, every task\'s result); readable offline, no script'
complete -c nexus -n "__fish_nexus_using_subcommand report" -l timeline -d 'Only the timeline, as SVG: every attempt on one lane per agent instance'
complete -c nexus -n "__fish_nexus_using_subcommand report" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand report" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand messages" -l format -d 'How to show them' -r -f -a "text\t'One line per message'
mermaid\t'A Mermaid `sequenceDiagram`, with `par` blocks where tasks overlapped'"
complete -c nexus -n "__fish_nexus_using_subcommand messages" -s o -l output -d 'Write to FILE (atomically; a symlink there is refused) instead of stdout' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand messages" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand messages" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand messages" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand messages" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand messages" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand graph" -l format -d 'The picture\'s language (default: mermaid)' -r -f -a "mermaid\t'A Mermaid flowchart (renders on GitHub and GitLab)'
dot\t'Graphviz DOT (`| dot -Tpng`)'
svg\t'SVG, laid out by nexus itself'"
complete -c nexus -n "__fish_nexus_using_subcommand graph" -s o -l output -d 'Write to FILE (atomically; a symlink there is refused) instead of stdout' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand graph" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand graph" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand graph" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand graph" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'List the agents'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Show one agent\'s full profile and the system prompt nexus builds'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from list" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from list" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from show" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from show" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the agents'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one agent\'s full profile and the system prompt nexus builds'
complete -c nexus -n "__fish_nexus_using_subcommand agents; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "list" -d 'List session records with age, idle time, turns, cost and validity'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "show" -d 'Show an agent\'s session records'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "check" -d 'Check every session\'s transcript (no tokens spent)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "gc" -d 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent\'s `[memory] max_conversations`'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "test" -d 'Test each agent\'s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and not __fish_seen_subcommand_from list show check gc test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from list" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from list" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from show" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from show" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from check" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from check" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from check" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -l older-than -d 'Idle time past which a record is removed (default: `[sessions] ttl`)' -r
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -l dry-run -d 'Print what would be removed; remove nothing'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -s y -l yes -d 'Start without asking (needed when stdin is not a terminal)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "list" -d 'List session records with age, idle time, turns, cost and validity'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show an agent\'s session records'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check every session\'s transcript (no tokens spent)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "gc" -d 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent\'s `[memory] max_conversations`'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "test" -d 'Test each agent\'s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
complete -c nexus -n "__fish_nexus_using_subcommand sessions; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -f -a "show" -d 'Show an agent\'s remembered interactions'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -f -a "reset" -d 'Forget an agent\'s interactions'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and not __fish_seen_subcommand_from show reset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -s n -l last -d 'Show only the last N entries' -r
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from reset" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from reset" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from reset" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show an agent\'s remembered interactions'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Forget an agent\'s interactions'
complete -c nexus -n "__fish_nexus_using_subcommand memory; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand trust" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand trust" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand trust" -l list -d 'Only list the commands and whether they are trusted; change nothing'
complete -c nexus -n "__fish_nexus_using_subcommand trust" -l revoke -d 'Forget every command trusted for this `.nexus`'
complete -c nexus -n "__fish_nexus_using_subcommand trust" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand trust" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand trust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand diff" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand diff" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand diff" -l stat -d 'Only the files changed and their line counts'
complete -c nexus -n "__fish_nexus_using_subcommand diff" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand diff" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand land" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand land" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand land" -l squash -d 'One commit with all of the plan\'s changes instead of its history'
complete -c nexus -n "__fish_nexus_using_subcommand land" -l partial -d 'Land what is merged even though tasks are not completed'
complete -c nexus -n "__fish_nexus_using_subcommand land" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand land" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand land" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand reject" -l reason -d 'Why: the agent reads it when it does the task again' -r
complete -c nexus -n "__fish_nexus_using_subcommand reject" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand reject" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand reject" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand reject" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand reject" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -f -a "list" -d 'List the agents\' worktrees: commit, changes, size, idle time'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -f -a "prune" -d 'Remove idle worktrees and the branches of finished or deleted plans'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and not __fish_seen_subcommand_from list prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from list" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from list" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -l dry-run -d 'Print what would be removed; remove nothing'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -l force -d 'Also remove idle worktrees that hold uncommitted changes (kept otherwise, and named)'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the agents\' worktrees: commit, changes, size, idle time'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove idle worktrees and the branches of finished or deleted plans'
complete -c nexus -n "__fish_nexus_using_subcommand workspaces; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "init" -d 'Create `.nexus/` here: config, the four default agents, `.gitignore`'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "plan" -d 'Turn a request into a plan of tasks (prints the plan id)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "assign" -d 'Give unassigned tasks an agent, or assign one task by hand'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "run" -d 'Run a plan\'s ready tasks in dependency order, in parallel'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "export" -d 'Write a plan\'s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "reconcile" -d 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "ask" -d 'Send one message to an agent\'s session and print the reply'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "status" -d 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "metrics" -d 'Print metrics in the Prometheus text format'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "log" -d 'Print a task\'s agent transcript'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "report" -d 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "messages" -d 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "graph" -d 'Draw a plan\'s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "agents" -d 'List and inspect agents'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "sessions" -d 'Inspect, check and collect agent session records'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "memory" -d 'Show or reset an agent\'s memory'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "doctor" -d 'Check the installation: `.nexus`, files, agent CLIs, API key, trust'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "trust" -d 'Allow the commands committed in `.nexus` (verify, checks) to run here'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "diff" -d 'Show what a plan (or one task) changed, from its branch'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "land" -d 'Bring a finished plan\'s branch into your current branch'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "reject" -d 'Take a merged task back out of its plan\'s branch and queue it again'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "workspaces" -d 'List and prune the agents\' worktrees and nexus\'s branches'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign run export reconcile ask status metrics log report messages graph agents sessions memory doctor trust diff land reject workspaces completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from plan" -f -a "rm" -d 'Delete a plan: its files under `.nexus` and its branches'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from plan" -f -a "adopt" -d 'Adopt the checks a planner\'s model suggested as the task\'s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from agents" -f -a "list" -d 'List the agents'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from agents" -f -a "show" -d 'Show one agent\'s full profile and the system prompt nexus builds'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from sessions" -f -a "list" -d 'List session records with age, idle time, turns, cost and validity'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from sessions" -f -a "show" -d 'Show an agent\'s session records'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from sessions" -f -a "check" -d 'Check every session\'s transcript (no tokens spent)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from sessions" -f -a "gc" -d 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent\'s `[memory] max_conversations`'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from sessions" -f -a "test" -d 'Test each agent\'s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from memory" -f -a "show" -d 'Show an agent\'s remembered interactions'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from memory" -f -a "reset" -d 'Forget an agent\'s interactions'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from workspaces" -f -a "list" -d 'List the agents\' worktrees: commit, changes, size, idle time'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from workspaces" -f -a "prune" -d 'Remove idle worktrees and the branches of finished or deleted plans'
