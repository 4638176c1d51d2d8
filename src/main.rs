//! The `nexus` binary: parses nothing itself and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    nexus::run(std::env::args_os())
}
