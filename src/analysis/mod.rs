//! Stage 3, analysis: the value lattice and library models, the whole-program value flow
//! (abstract values through assignments, calls, attributes, containers, to a capped fixpoint),
//! the call graph, launcher sites and tasks, usage facts, and the flow-sensitive walker that
//! rules consume. It imports `files` and `project` and knows no rule, finding or output.

pub mod call_edges;
pub mod callgraph;
pub mod flow;
pub mod infer;
pub mod library;
pub mod names;
pub mod numpy_returns;
pub mod project_facts;
pub mod pytest_injection;
pub mod tasks;
pub mod triggers;
pub mod usage;
pub mod value;
pub mod walk;
