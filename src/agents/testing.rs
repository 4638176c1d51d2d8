//! What the backends' unit tests share: the observed CLI samples, a turn's
//! exit, and feeding a sample to a backend's parser line by line as a turn
//! does.

use std::path::Path;

use crate::agents::backend::{
    AgentEvent, Backend, Exit, Parsed, SessionMode, TurnContext, TurnOutput, TurnRequest,
};
use crate::state::agent::Agent;
use crate::state::config::Config;

/// Returns the sample `name` from `tests/fixtures/<folder>`.
pub(crate) fn sample(folder: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Returns the exit of a 10 ms turn that ended with `code` and printed
/// `stdout` and `stderr`.
pub(crate) fn exit(code: Option<i32>, stdout: &str, stderr: &str) -> Exit {
    Exit {
        code,
        signal: None,
        stopped: None,
        duration_ms: 10,
        leaked: false,
        stderr_tail: stderr.to_string(),
        stdout_tail: crate::proc::supervise::tail(stdout, 5, 2000),
    }
}

/// Feeds `stdout` line by line to a fresh parser of `backend`, then ends the
/// turn with `exit`.
pub(crate) fn interpret_exit(
    backend: &dyn Backend,
    context: &TurnContext,
    exit: &Exit,
    stdout: &str,
) -> TurnOutput {
    let mut parser = backend.parser(context);
    for line in stdout.lines() {
        parser.line(line);
    }
    parser.finish(exit)
}

/// [`interpret_exit`] for a turn that ended with `code`.
pub(crate) fn interpret(
    backend: &dyn Backend,
    context: &TurnContext,
    code: Option<i32>,
    stdout: &str,
    stderr: &str,
) -> TurnOutput {
    interpret_exit(backend, context, &exit(code, stdout, stderr), stdout)
}

/// Returns the events one parser of `backend` makes of every line of
/// `outputs`, in order; a line that is not events fails the test.
pub(crate) fn events(backend: &dyn Backend, outputs: &[String]) -> Vec<AgentEvent> {
    let mut parser = backend.parser(&TurnContext::default());
    let mut events = Vec::new();
    for line in outputs.iter().flat_map(|output| output.lines()) {
        match parser.line(line) {
            Parsed::Events(found) => events.extend(found),
            other => panic!("{line}: {other:?}"),
        }
    }
    events
}

/// Returns whether `events` hold a tool use named `tool`.
pub(crate) fn uses_tool(events: &[AgentEvent], tool: &str) -> bool {
    events
        .iter()
        .any(|event| matches!(event, AgentEvent::ToolUse { name, .. } if name == tool))
}

/// Returns agent `id` of `backend` with `permission`, an empty personality
/// and `table` (TOML) after its other keys.
pub(crate) fn agent(backend: &str, id: &str, permission: &str, table: &str) -> Agent {
    let text = format!(
        "schema = 2\nid = \"{id}\"\nname = \"{id}\"\nrole = \"r\"\ntask_types = [\"review\"]\nbackend = \"{backend}\"\npermission = \"{permission}\"\n\
        [personality]\ncore_traits = []\ncommunication_style = \"\"\ndecision_making = \"\"\ncollaboration_style = \"\"\nstress_response = \"\"\n\
        [expertise]\nareas = []\ncapabilities = []\n{table}"
    );
    Agent::parse(Path::new(&format!("{id}.toml")), &text)
        .unwrap_or_else(|error| panic!("{id}: {error:#}"))
}

/// Returns the arguments `backend` gives a turn of `agent` (default
/// configuration, no budget) as text.
pub(crate) fn turn_args(
    backend: &dyn Backend,
    agent: &Agent,
    session: SessionMode,
    system_prompt: &str,
    prompt: &str,
    isolated: bool,
) -> Vec<String> {
    let config = Config::defaults();
    let request = TurnRequest {
        config: &config,
        agent,
        session,
        system_prompt: system_prompt.into(),
        prompt: prompt.into(),
        max_budget_usd: None,
        isolated,
    };
    backend
        .turn_args(&request)
        .unwrap_or_else(|error| panic!("{error:#}"))
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect()
}
