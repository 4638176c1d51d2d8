
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
            cand status 'Show the dashboard: agents, plans, tasks, cost'
            cand agents 'List and inspect agents'
            cand doctor 'Check the installation: `.nexus`, files, `claude`, API key'
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
            cand --from 'Import a hand-written plan (JSON) instead of asking a planner; `-` reads stdin'
            cand --planner 'The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config)'
            cand --model 'The model for the openai or claude planner'
            cand --priority 'The plan''s priority'
            cand --deadline 'A deadline, passed to the planner and agents as written'
            cand --context 'Context for the planner and every task (repeatable)'
            cand --context-file 'Context from a file: a JSON object or `KEY=VALUE` lines'
            cand --id 'The plan id (default: a new random id)'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --dry-run 'Print the plan without writing it'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
        &'nexus;status'= {
            cand --interval 'Seconds between redraws with `--watch`'
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --watch 'Redraw while a run goes on'
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
        &'nexus;doctor'= {
            cand --dir 'The `.nexus` directory to use (default: found by walking up from the cwd)'
            cand --color 'When to use colour'
            cand --json 'Print data as JSON on stdout'
            cand -q 'Print only data and errors, no progress or notes'
            cand --quiet 'Print only data and errors, no progress or notes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand status 'Show the dashboard: agents, plans, tasks, cost'
            cand agents 'List and inspect agents'
            cand doctor 'Check the installation: `.nexus`, files, `claude`, API key'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;help;init'= {
        }
        &'nexus;help;plan'= {
        }
        &'nexus;help;assign'= {
        }
        &'nexus;help;status'= {
        }
        &'nexus;help;agents'= {
            cand list 'List the agents'
            cand show 'Show one agent''s full profile and the system prompt nexus builds'
        }
        &'nexus;help;agents;list'= {
        }
        &'nexus;help;agents;show'= {
        }
        &'nexus;help;doctor'= {
        }
        &'nexus;help;completions'= {
        }
        &'nexus;help;help'= {
        }
    ]
    $completions[$command]
}
