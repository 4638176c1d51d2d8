
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
            cand status 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
            cand metrics 'Print metrics in the Prometheus text format'
            cand log 'Print a task''s agent transcript'
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
            cand status 'Show the dashboard (agents, load, plans, tasks, cost), or one task in full'
            cand metrics 'Print metrics in the Prometheus text format'
            cand log 'Print a task''s agent transcript'
            cand agents 'List and inspect agents'
            cand doctor 'Check the installation: `.nexus`, files, `claude`, API key'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nexus;help;init'= {
        }
        &'nexus;help;status'= {
        }
        &'nexus;help;metrics'= {
        }
        &'nexus;help;log'= {
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
