//! What a plan's run produced, for people: the report (what each agent did,
//! its verification evidence, open questions and next steps) as Markdown,
//! JSON or one self-contained HTML page, and the protocol messages in order.
//! [`output`] sends any of them to stdout or a file.

pub mod build;
pub mod flow;
pub mod html;
pub mod markdown;
pub mod model;
pub mod output;
