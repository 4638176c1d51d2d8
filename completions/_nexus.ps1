
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'nexus' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'nexus'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'nexus' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create `.nexus/` here: config, the four default agents, `.gitignore`')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Turn a request into a plan of tasks (prints the plan id)')
            [CompletionResult]::new('assign', 'assign', [CompletionResultType]::ParameterValue, 'Give unassigned tasks an agent, or assign one task by hand')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a plan''s ready tasks in dependency order, in parallel')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a plan''s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Send one message to an agent''s session and print the reply')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print metrics in the Prometheus text format')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print a task''s agent transcript')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)')
            [CompletionResult]::new('messages', 'messages', [CompletionResultType]::ParameterValue, 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw a plan''s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)')
            [CompletionResult]::new('agents', 'agents', [CompletionResultType]::ParameterValue, 'List and inspect agents')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'Inspect, check and collect agent session records')
            [CompletionResult]::new('memory', 'memory', [CompletionResultType]::ParameterValue, 'Show or reset an agent''s memory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the installation: `.nexus`, files, agent CLIs, API key, trust')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Allow the commands committed in `.nexus` (verify, checks) to run here')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a plan (or one task) changed, from its branch')
            [CompletionResult]::new('land', 'land', [CompletionResultType]::ParameterValue, 'Bring a finished plan''s branch into your current branch')
            [CompletionResult]::new('reject', 'reject', [CompletionResultType]::ParameterValue, 'Take a merged task back out of its plan''s branch and queue it again')
            [CompletionResult]::new('workspaces', 'workspaces', [CompletionResultType]::ParameterValue, 'List and prune the agents'' worktrees and nexus''s branches')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;init' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite config and default agents with the defaults')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;plan' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Import a plan file instead of asking a planner: a nexus plan (JSON) or a Task Master `tasks.json`; `-` reads stdin')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'The format of `--from` (default: recognised from the file)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'The Task Master tag to import (default: `master`)')
            [CompletionResult]::new('--planner', '--planner', [CompletionResultType]::ParameterName, 'The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config)')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model for the openai or claude planner')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'The plan''s priority')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'A deadline, passed to the planner and agents as written')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context for the planner and every task (repeatable)')
            [CompletionResult]::new('--context-file', '--context-file', [CompletionResultType]::ParameterName, 'Context from a file: a JSON object or `KEY=VALUE` lines')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'The plan id (default: a new random id)')
            [CompletionResult]::new('--revise', '--revise', [CompletionResultType]::ParameterName, 'Revise this plan in the light of what completed and what failed (kept tasks stay; the old version goes to its history); shows the changes and asks before writing')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan without writing it')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Write the revision without asking (needed when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Write the revision without asking (needed when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a plan: its files under `.nexus` and its branches')
            [CompletionResult]::new('adopt', 'adopt', [CompletionResultType]::ParameterValue, 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;plan;rm' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;plan;adopt' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;plan;help' {
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a plan: its files under `.nexus` and its branches')
            [CompletionResult]::new('adopt', 'adopt', [CompletionResultType]::ParameterValue, 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;plan;help;rm' {
            break
        }
        'nexus;plan;help;adopt' {
            break
        }
        'nexus;plan;help;help' {
            break
        }
        'nexus;assign' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Reassign a task that is running or finished')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;run' {
            [CompletionResult]::new('--task', '--task', [CompletionResultType]::ParameterName, 'Run exactly this task (its dependencies must be completed)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Tasks at the same time (default: `[run] parallel`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Tasks at the same time (default: `[run] parallel`)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop scheduling before the plan''s cost would pass this (USD)')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'In a git repository: the commit the plan''s first run starts from (default: `HEAD`); its integration branch `nexus/<plan>` starts there')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With `--task`: run even if dependencies are not completed')
            [CompletionResult]::new('--retry-failed', '--retry-failed', [CompletionResultType]::ParameterName, 'Run failed and blocked tasks again')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the argv and prompt of every task that would run; change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;export' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The executor to write for')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write exactly this file (atomically; never through a symlink) instead of stdout (`-` is stdout). Task Master: instead of the imported file (which is the default), or the file to update when the plan remembers none')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write exactly this file (atomically; never through a symlink) instead of stdout (`-` is stdout). Task Master: instead of the imported file (which is the default), or the file to update when the plan remembers none')
            [CompletionResult]::new('--nexus', '--nexus', [CompletionResultType]::ParameterName, 'How jobs call nexus (default: `nexus`, found on the executor''s PATH)')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Slurm: every job''s partition (an agent''s `[slurm]` table overrides this and the three below)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Slurm: every job''s time limit (`MINUTES`, `H:MM:SS`, `D-HH:MM:SS`)')
            [CompletionResult]::new('--cpus-per-task', '--cpus-per-task', [CompletionResultType]::ParameterName, 'Slurm: CPUs per task')
            [CompletionResult]::new('--mem', '--mem', [CompletionResultType]::ParameterName, 'Slurm: memory per job (`4096`, `8G`)')
            [CompletionResult]::new('--runs-on', '--runs-on', [CompletionResultType]::ParameterName, 'GitHub Actions: the runner label (default: `ubuntu-latest`)')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'GitHub Actions: a repository secret every task step gets as the environment variable of the same name (repeatable; default: `ANTHROPIC_API_KEY`)')
            [CompletionResult]::new('--setup', '--setup', [CompletionResultType]::ParameterName, 'GitHub Actions: a shell command run before nexus in every job, such as installing nexus and the agent''s CLI (repeatable)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;reconcile' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;ask' {
            [CompletionResult]::new('--instance', '--instance', [CompletionResultType]::ParameterName, 'The agent instance (0-based)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--new-session', '--new-session', [CompletionResultType]::ParameterName, 'Start a fresh session instead of resuming')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;status' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between redraws with `--watch`')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Redraw in place every `--interval` until Ctrl-C (one frame when stdout is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;metrics' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;log' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing as the transcript grows, until the task stops running or Ctrl-C. `--json` prints the raw stream-json lines')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing as the transcript grows, until the task stops running or Ctrl-C. `--json` prints the raw stream-json lines')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;report' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'One self-contained HTML page (summary, graph, timeline, cost per agent, every task''s result); readable offline, no script')
            [CompletionResult]::new('--timeline', '--timeline', [CompletionResultType]::ParameterName, 'Only the timeline, as SVG: every attempt on one lane per agent instance')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;messages' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to show them')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;graph' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The picture''s language (default: mermaid)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE (atomically; a symlink there is refused) instead of stdout')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;agents' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one agent''s full profile and the system prompt nexus builds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;agents;list' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;agents;show' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;agents;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one agent''s full profile and the system prompt nexus builds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;agents;help;list' {
            break
        }
        'nexus;agents;help;show' {
            break
        }
        'nexus;agents;help;help' {
            break
        }
        'nexus;sessions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List session records with age, idle time, turns, cost and validity')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s session records')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check every session''s transcript (no tokens spent)')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;sessions;list' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;sessions;show' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;sessions;check' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;sessions;gc' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Idle time past which a record is removed (default: `[sessions] ttl`)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be removed; remove nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;sessions;test' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Start without asking (needed when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Start without asking (needed when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;sessions;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List session records with age, idle time, turns, cost and validity')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s session records')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check every session''s transcript (no tokens spent)')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;sessions;help;list' {
            break
        }
        'nexus;sessions;help;show' {
            break
        }
        'nexus;sessions;help;check' {
            break
        }
        'nexus;sessions;help;gc' {
            break
        }
        'nexus;sessions;help;test' {
            break
        }
        'nexus;sessions;help;help' {
            break
        }
        'nexus;memory' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s remembered interactions')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget an agent''s interactions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;memory;show' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show only the last N entries')
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'Show only the last N entries')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;memory;reset' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;memory;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s remembered interactions')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget an agent''s interactions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;memory;help;show' {
            break
        }
        'nexus;memory;help;reset' {
            break
        }
        'nexus;memory;help;help' {
            break
        }
        'nexus;doctor' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;trust' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Only list the commands and whether they are trusted; change nothing')
            [CompletionResult]::new('--revoke', '--revoke', [CompletionResultType]::ParameterName, 'Forget every command trusted for this `.nexus`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;diff' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--stat', '--stat', [CompletionResultType]::ParameterName, 'Only the files changed and their line counts')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;land' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--squash', '--squash', [CompletionResultType]::ParameterName, 'One commit with all of the plan''s changes instead of its history')
            [CompletionResult]::new('--partial', '--partial', [CompletionResultType]::ParameterName, 'Land what is merged even though tasks are not completed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;reject' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why: the agent reads it when it does the task again')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;workspaces' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents'' worktrees: commit, changes, size, idle time')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove idle worktrees and the branches of finished or deleted plans')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;workspaces;list' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;workspaces;prune' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be removed; remove nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Also remove idle worktrees that hold uncommitted changes (kept otherwise, and named)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;workspaces;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents'' worktrees: commit, changes, size, idle time')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove idle worktrees and the branches of finished or deleted plans')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;workspaces;help;list' {
            break
        }
        'nexus;workspaces;help;prune' {
            break
        }
        'nexus;workspaces;help;help' {
            break
        }
        'nexus;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The `.nexus` directory to use (default: found by walking up from the cwd)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print data as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or notes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'nexus;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create `.nexus/` here: config, the four default agents, `.gitignore`')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Turn a request into a plan of tasks (prints the plan id)')
            [CompletionResult]::new('assign', 'assign', [CompletionResultType]::ParameterValue, 'Give unassigned tasks an agent, or assign one task by hand')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a plan''s ready tasks in dependency order, in parallel')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a plan''s DAG for make, Slurm or GitHub Actions, each task one `nexus run PLAN --task T`, or its statuses back into Task Master')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Mark tasks that can no longer run (a dependency failed) as blocked, after an external executor stopped; runs no agent')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Send one message to an agent''s session and print the reply')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print metrics in the Prometheus text format')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print a task''s agent transcript')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Collect what each agent did: results, verification, questions, next steps (Markdown, `--json`, or one HTML page with `--html`)')
            [CompletionResult]::new('messages', 'messages', [CompletionResultType]::ParameterValue, 'List the protocol messages in order: who sent what to whom, when, about which task (text, `--json`, or a Mermaid sequence diagram)')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw a plan''s dependency graph with states, estimates and the critical path (Mermaid, Graphviz DOT or SVG)')
            [CompletionResult]::new('agents', 'agents', [CompletionResultType]::ParameterValue, 'List and inspect agents')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'Inspect, check and collect agent session records')
            [CompletionResult]::new('memory', 'memory', [CompletionResultType]::ParameterValue, 'Show or reset an agent''s memory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the installation: `.nexus`, files, agent CLIs, API key, trust')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Allow the commands committed in `.nexus` (verify, checks) to run here')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a plan (or one task) changed, from its branch')
            [CompletionResult]::new('land', 'land', [CompletionResultType]::ParameterValue, 'Bring a finished plan''s branch into your current branch')
            [CompletionResult]::new('reject', 'reject', [CompletionResultType]::ParameterValue, 'Take a merged task back out of its plan''s branch and queue it again')
            [CompletionResult]::new('workspaces', 'workspaces', [CompletionResultType]::ParameterValue, 'List and prune the agents'' worktrees and nexus''s branches')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nexus;help;init' {
            break
        }
        'nexus;help;plan' {
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a plan: its files under `.nexus` and its branches')
            [CompletionResult]::new('adopt', 'adopt', [CompletionResultType]::ParameterValue, 'Adopt the checks a planner''s model suggested as the task''s `verify` commands (shown by `nexus status PLAN TASK`; never run until adopted)')
            break
        }
        'nexus;help;plan;rm' {
            break
        }
        'nexus;help;plan;adopt' {
            break
        }
        'nexus;help;assign' {
            break
        }
        'nexus;help;run' {
            break
        }
        'nexus;help;export' {
            break
        }
        'nexus;help;reconcile' {
            break
        }
        'nexus;help;ask' {
            break
        }
        'nexus;help;status' {
            break
        }
        'nexus;help;metrics' {
            break
        }
        'nexus;help;log' {
            break
        }
        'nexus;help;report' {
            break
        }
        'nexus;help;messages' {
            break
        }
        'nexus;help;graph' {
            break
        }
        'nexus;help;agents' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one agent''s full profile and the system prompt nexus builds')
            break
        }
        'nexus;help;agents;list' {
            break
        }
        'nexus;help;agents;show' {
            break
        }
        'nexus;help;sessions' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List session records with age, idle time, turns, cost and validity')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s session records')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check every session''s transcript (no tokens spent)')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove records idle past the TTL, without a transcript, or orphaned, and memory entries past each agent''s `[memory] max_conversations`')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Test each agent''s session for real: create or resume it, check it is persisted, resume it, check recovery (one or two short turns each; the cost estimate is shown first)')
            break
        }
        'nexus;help;sessions;list' {
            break
        }
        'nexus;help;sessions;show' {
            break
        }
        'nexus;help;sessions;check' {
            break
        }
        'nexus;help;sessions;gc' {
            break
        }
        'nexus;help;sessions;test' {
            break
        }
        'nexus;help;memory' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an agent''s remembered interactions')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget an agent''s interactions')
            break
        }
        'nexus;help;memory;show' {
            break
        }
        'nexus;help;memory;reset' {
            break
        }
        'nexus;help;doctor' {
            break
        }
        'nexus;help;trust' {
            break
        }
        'nexus;help;diff' {
            break
        }
        'nexus;help;land' {
            break
        }
        'nexus;help;reject' {
            break
        }
        'nexus;help;workspaces' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the agents'' worktrees: commit, changes, size, idle time')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove idle worktrees and the branches of finished or deleted plans')
            break
        }
        'nexus;help;workspaces;list' {
            break
        }
        'nexus;help;workspaces;prune' {
            break
        }
        'nexus;help;completions' {
            break
        }
        'nexus;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
