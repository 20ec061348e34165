//! Stage 5, findings: what rules produce and how it is handled afterwards — the diagnostic
//! record, fixes and their applicability, suppression comments, and the rule metadata
//! (codes, names, scope) that configuration and output need without the rules themselves.

pub mod diagnostic;
pub mod fix;
pub mod rule_meta;
pub mod suppress;
