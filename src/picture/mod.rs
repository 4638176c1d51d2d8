//! Pictures of a plan: its dependency graph as Mermaid, Graphviz DOT or an
//! SVG that nexus lays out itself ([`layout`]), the timeline of its
//! attempts, and its message flow as a Mermaid sequence diagram. Every
//! picture is deterministic, escapes all untrusted text ([`text`]) and
//! names each state in words beside its colour ([`palette`]).

pub mod dot;
pub mod graph;
pub mod layout;
pub mod mermaid;
pub mod palette;
pub mod sequence;
pub mod svg;
pub mod text;
pub mod timeline;
