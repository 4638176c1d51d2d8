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
complete -c nexus -n "__fish_nexus_needs_command" -f -a "status" -d 'Show the dashboard: agents, plans, tasks, cost'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "agents" -d 'List and inspect agents'
complete -c nexus -n "__fish_nexus_needs_command" -f -a "doctor" -d 'Check the installation: `.nexus`, files, `claude`, API key'
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
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l from -d 'Import a hand-written plan (JSON) instead of asking a planner; `-` reads stdin' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l planner -d 'The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config)' -r -f -a "auto\t'`openai` when its key variable is set, else `builtin`'
openai\t'An OpenAI-compatible Chat Completions server'
claude\t'The Claude CLI itself'
builtin\t'The offline pipeline of the original flow'"
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l model -d 'The model for the openai or claude planner' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l priority -d 'The plan\'s priority' -r -f -a "critical\t'Must be done first'
high\t'Important'
medium\t'Normal'
low\t'Whenever'"
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l deadline -d 'A deadline, passed to the planner and agents as written' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l context -d 'Context for the planner and every task (repeatable)' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l context-file -d 'Context from a file: a JSON object or `KEY=VALUE` lines' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l id -d 'The plan id (default: a new random id)' -r
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l dry-run -d 'Print the plan without writing it'
complete -c nexus -n "__fish_nexus_using_subcommand plan" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand plan" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l force -d 'Reassign a task that is running or finished'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand assign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand status" -l interval -d 'Seconds between redraws with `--watch`' -r
complete -c nexus -n "__fish_nexus_using_subcommand status" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand status" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand status" -l watch -d 'Redraw while a run goes on'
complete -c nexus -n "__fish_nexus_using_subcommand status" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand status" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
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
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l dir -d 'The `.nexus` directory to use (default: found by walking up from the cwd)' -r -F
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c nexus -n "__fish_nexus_using_subcommand completions" -l json -d 'Print data as JSON on stdout'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -s q -l quiet -d 'Print only data and errors, no progress or notes'
complete -c nexus -n "__fish_nexus_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "init" -d 'Create `.nexus/` here: config, the four default agents, `.gitignore`'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "plan" -d 'Turn a request into a plan of tasks (prints the plan id)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "assign" -d 'Give unassigned tasks an agent, or assign one task by hand'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "status" -d 'Show the dashboard: agents, plans, tasks, cost'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "agents" -d 'List and inspect agents'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "doctor" -d 'Check the installation: `.nexus`, files, `claude`, API key'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c nexus -n "__fish_nexus_using_subcommand help; and not __fish_seen_subcommand_from init plan assign status agents doctor completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from agents" -f -a "list" -d 'List the agents'
complete -c nexus -n "__fish_nexus_using_subcommand help; and __fish_seen_subcommand_from agents" -f -a "show" -d 'Show one agent\'s full profile and the system prompt nexus builds'
