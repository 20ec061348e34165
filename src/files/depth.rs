//! The depth gate: a limit on how deeply nested a statement handed to the analysis may be.
//!
//! ruff's parser grows its own stack, so it accepts input of any nesting (`f(f(f(…)))` ten
//! thousand deep, a chain of five thousand method calls, a sum of nine thousand terms). Every
//! later stage walks the tree recursively, and so does the compiler-generated destructor of the
//! tree, so such a statement would overflow the stack there. After parsing, each top-level
//! statement's depth is measured without recursion; one deeper than [`MAX_DEPTH`] is replaced
//! by `pass` in the tree handed to the analysis (and reported as NG001), and its tree is taken
//! apart iteratively so that dropping it cannot overflow either. The rest of the file is
//! analysed as usual. CPython itself rejects about 200 nested parentheses, so real code never
//! comes near the limit.
//!
//! Before parsing, [`too_deep_to_parse`] bounds what the parser's own recursion could cost: its
//! stack grows on the heap at about a kilobyte per level, so a 32 MiB file of `(` would take
//! tens of gigabytes. One lexer pass measures bracket nesting plus runs of prefix operators and
//! `**` chains; a file past [`MAX_LEXICAL_NESTING`] is not parsed at all (NG001).

use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, TraversalSignal};
use ruff_python_ast::{self as ast, AnyNodeRef, Expr, Pattern, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// Statements nested deeper than this (counting statements, expressions and patterns) are not
/// analysed.
pub const MAX_DEPTH: usize = 200;

/// More nested brackets, prefix operators or `**` than this and the file is not parsed.
pub const MAX_LEXICAL_NESTING: usize = 10_000;

/// More characters that are not Python than this and the file is not parsed.
pub const MAX_UNKNOWN_CHARACTERS: usize = 10_000;

/// Whether `text` nests deeper than `limit` by the lexer's count: open brackets, plus the
/// current run of prefix operators (`-`, `not`, `await`, `lambda`, …) and the `**` operators of
/// the current bracket level. An upper bound on the parser's recursion, up to a constant factor.
pub fn too_deep_to_parse(text: &str, mode: ruff_python_parser::Mode, limit: usize) -> bool {
    lexical_limits(text, mode, limit, usize::MAX).is_some()
}

/// Why a file is not handed to the parser, if it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nested deeper than the limit (see [`too_deep_to_parse`]).
    TooDeep,
    /// More characters that are not Python than the limit: each would be its own syntax error
    /// and cost the parser a few hundred bytes.
    NotPython,
}

/// One lexer pass for both limits: nesting (see [`too_deep_to_parse`]) and the number of
/// characters that start no Python token.
pub fn lexical_limits(text: &str, mode: ruff_python_parser::Mode, limit: usize, max_unknown: usize) -> Option<Refusal> {
    let (nesting, unknown) = byte_bounds(text);
    if nesting <= limit && unknown <= max_unknown {
        // Neither limit can be passed: the lexer pass (as costly as the parser's own lexing)
        // is not needed. This is every file of ordinary size.
        return None;
    }
    lexer_limits(text, mode, limit, max_unknown)
}

/// [`lexical_limits`] by the lexer.
fn lexer_limits(text: &str, mode: ruff_python_parser::Mode, limit: usize, max_unknown: usize) -> Option<Refusal> {
    use ruff_python_ast::token::TokenKind as K;
    let mut lexer = ruff_python_parser::lexer::lex(text, mode);
    // Per open bracket level: the `**` seen at that level.
    let mut levels: Vec<usize> = vec![0];
    let mut run = 0usize;
    let mut unknown = 0usize;
    loop {
        let kind = lexer.next_token();
        match kind {
            K::EndOfFile => return None,
            K::Unknown => {
                unknown += 1;
                if unknown > max_unknown {
                    return Some(Refusal::NotPython);
                }
                run = 0;
            }
            K::Lpar | K::Lsqb | K::Lbrace => {
                levels.push(0);
                run = 0;
            }
            K::Rpar | K::Rsqb | K::Rbrace => {
                if levels.len() > 1 {
                    levels.pop();
                }
                run = 0;
            }
            K::Comma | K::Semi | K::Newline => {
                if let Some(l) = levels.last_mut() {
                    *l = 0;
                }
                run = 0;
            }
            K::DoubleStar => {
                if let Some(l) = levels.last_mut() {
                    *l += 1;
                }
                run += 1;
            }
            K::Minus
            | K::Plus
            | K::Tilde
            | K::Not
            | K::Await
            | K::Star
            | K::Lambda
            | K::Colon
            | K::If
            | K::Else
            | K::Yield => run += 1,
            _ => run = 0,
        }
        if levels.len() + run + levels.last().copied().unwrap_or(0) > limit {
            return Some(Refusal::TooDeep);
        }
    }
}

/// Upper bounds on [`lexical_limits`]'s two counts, from bytes and substrings alone: every
/// token that can raise the nesting count begins with `(`, `[`, `{`, `-`, `+`, `~`, `*` or `:`
/// or is one of the keywords counted, which begins a word (a `**` counts twice: once in the run, once at its
/// level). The lexer's error tokens come from characters that start no token (a control
/// character, one of `$ ? ! ` \`, or not ASCII), from strings left open (a quote) and from
/// brackets left open at the end; other lexical errors (a malformed number) are rare enough
/// not to matter for the limit, which is there for files that are not Python at all.
fn byte_bounds(text: &str) -> (usize, usize) {
    let bytes = text.as_bytes();
    // Each counted token or character is at least one byte (a `**`, counted twice, is two).
    if bytes.len() < MAX_LEXICAL_NESTING.min(MAX_UNKNOWN_CHARACTERS) {
        return (bytes.len() + 1, bytes.len() + 1);
    }
    counted_bounds(bytes)
}

/// [`byte_bounds`] by counting.
fn counted_bounds(bytes: &[u8]) -> (usize, usize) {
    // One more error token: brackets still open at the end of the file.
    let (mut nesting, mut unknown) = (1usize, 1usize);
    let mut in_word = false;
    // Table lookups and additions, no branch per byte but the rare keyword test.
    for (i, &b) in bytes.iter().enumerate() {
        let class = BYTE_CLASS[b as usize];
        nesting += usize::from((class >> NEST_SHIFT) & 3);
        unknown += usize::from((class >> UNKNOWN_SHIFT) & 1);
        if class & KEYWORD_START != 0 && !in_word && KEYWORDS.iter().any(|k| bytes[i..].starts_with(k)) {
            nesting += 1;
        }
        in_word = class & WORD != 0;
    }
    (nesting, unknown)
}

const KEYWORDS: [&[u8]; 6] = [b"not", b"await", b"lambda", b"if", b"else", b"yield"];
/// Bits of [`BYTE_CLASS`]: part of a word; the first letter of a counted keyword; how much the
/// byte adds to the nesting bound (two bits); whether it may start no Python token.
const WORD: u8 = 1;
const KEYWORD_START: u8 = 2;
const NEST_SHIFT: u8 = 2;
const UNKNOWN_SHIFT: u8 = 4;

/// What each byte is to [`byte_bounds`].
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'n' | b'a' | b'l' | b'i' | b'e' | b'y' => WORD | KEYWORD_START,
            _ if c.is_ascii_alphanumeric() || c == b'_' => WORD,
            b'(' | b'[' | b'{' | b'-' | b'+' | b'~' | b':' => 1 << NEST_SHIFT,
            b'*' => 2 << NEST_SHIFT,
            b'$' | b'?' | b'!' | b'`' | b'\\' | b'"' | b'\'' => 1 << UNKNOWN_SHIFT,
            b'\t' | b'\n' | b'\r' | 0x0c => 0,
            0..=0x1f | 0x7f => 1 << UNKNOWN_SHIFT,
            0x80.. => WORD | (1 << UNKNOWN_SHIFT),
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Collects a node's direct children (it never descends further).
struct Children<'a>(Vec<AnyNodeRef<'a>>);

impl<'a> SourceOrderVisitor<'a> for Children<'a> {
    fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
        self.0.push(node);
        TraversalSignal::Skip
    }
}

fn counts(node: AnyNodeRef<'_>) -> bool {
    node.is_statement() || node.is_expression() || node.is_pattern()
}

/// The nesting depth of `stmt` (a lone statement is 1), measured with an explicit stack. Stops
/// early and returns a value above `limit` as soon as the limit is passed.
pub fn depth(stmt: &Stmt, limit: usize) -> usize {
    let mut stack: Vec<(AnyNodeRef<'_>, usize)> = vec![(AnyNodeRef::from(stmt), 1)];
    let mut children = Children(Vec::new());
    let mut max = 0;
    while let Some((node, d)) = stack.pop() {
        max = max.max(d);
        if max > limit {
            return max;
        }
        children.0.clear();
        node.visit_source_order(&mut children);
        stack.extend(children.0.drain(..).map(|c| (c, d + usize::from(counts(c)))));
    }
    max
}

/// A statement removed by the gate.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The statement's range.
    pub range: TextRange,
    /// Its depth, as measured (at least `MAX_DEPTH + 1`).
    pub depth: usize,
}

/// Replace every top-level statement of `body` deeper than `limit` by `pass` (with the same
/// range), and dispose of its tree without recursion.
pub fn gate(body: &mut [Stmt], limit: usize) -> Vec<Skipped> {
    let mut skipped = Vec::new();
    for stmt in body.iter_mut() {
        let d = depth(stmt, limit);
        if d <= limit {
            continue;
        }
        let range = stmt.range();
        let pass = Stmt::Pass(ast::StmtPass { node_index: ast::AtomicNodeIndex::NONE, range });
        let deep = std::mem::replace(stmt, pass);
        dismantle(deep);
        skipped.push(Skipped { range, depth: d });
    }
    skipped
}

/// A part of a tree waiting to be taken apart.
enum Part {
    Stmt(Stmt),
    Expr(Expr),
    Pattern(Pattern),
}

fn hole() -> Expr {
    Expr::NoneLiteral(ast::ExprNoneLiteral::default())
}

fn hole_pattern() -> Pattern {
    Pattern::MatchStar(ast::PatternMatchStar {
        node_index: ast::AtomicNodeIndex::NONE,
        range: TextRange::default(),
        name: None,
    })
}

/// Drop a tree of any depth: every node's children are moved onto an explicit stack before the
/// node itself is dropped, so no destructor recursion runs deeper than one level.
pub fn dismantle(stmt: Stmt) {
    let mut stack = vec![Part::Stmt(stmt)];
    while let Some(part) = stack.pop() {
        match part {
            Part::Stmt(s) => take_stmt(s, &mut stack),
            Part::Expr(e) => take_expr(e, &mut stack),
            Part::Pattern(p) => take_pattern(p, &mut stack),
        }
    }
}

fn boxed(b: &mut Expr, stack: &mut Vec<Part>) {
    stack.push(Part::Expr(std::mem::replace(b, hole())));
}

fn opt(b: &mut Option<Box<Expr>>, stack: &mut Vec<Part>) {
    if let Some(b) = b.take() {
        stack.push(Part::Expr(*b));
    }
}

fn exprs(v: impl IntoIterator<Item = Expr>, stack: &mut Vec<Part>) {
    stack.extend(v.into_iter().map(Part::Expr));
}

fn stmts(v: impl IntoIterator<Item = Stmt>, stack: &mut Vec<Part>) {
    stack.extend(v.into_iter().map(Part::Stmt));
}

fn parameters(p: &mut ast::Parameters, stack: &mut Vec<Part>) {
    let lists = [&mut p.posonlyargs, &mut p.args, &mut p.kwonlyargs];
    for list in lists {
        for mut pd in std::mem::take(list) {
            opt(&mut pd.default, stack);
            opt(&mut pd.parameter.annotation, stack);
        }
    }
    for v in [&mut p.vararg, &mut p.kwarg].into_iter().flatten() {
        opt(&mut v.annotation, stack);
    }
}

fn arguments(a: &mut ast::Arguments, stack: &mut Vec<Part>) {
    exprs(std::mem::take(&mut a.args).into_vec(), stack);
    exprs(std::mem::take(&mut a.keywords).into_iter().map(|k| k.value), stack);
}

fn take_stmt(mut s: Stmt, stack: &mut Vec<Part>) {
    match &mut s {
        Stmt::FunctionDef(f) => {
            exprs(std::mem::take(&mut f.decorator_list).into_iter().map(|d| d.expression), stack);
            parameters(&mut f.parameters, stack);
            opt(&mut f.returns, stack);
            stmts(std::mem::take(&mut f.body), stack);
        }
        Stmt::ClassDef(c) => {
            exprs(std::mem::take(&mut c.decorator_list).into_iter().map(|d| d.expression), stack);
            if let Some(a) = c.arguments.as_mut() {
                arguments(a, stack);
            }
            stmts(std::mem::take(&mut c.body), stack);
        }
        Stmt::Return(r) => opt(&mut r.value, stack),
        Stmt::Delete(d) => exprs(std::mem::take(&mut d.targets), stack),
        Stmt::TypeAlias(t) => {
            boxed(&mut t.name, stack);
            boxed(&mut t.value, stack);
        }
        Stmt::Assign(a) => {
            exprs(std::mem::take(&mut a.targets), stack);
            boxed(&mut a.value, stack);
        }
        Stmt::AugAssign(a) => {
            boxed(&mut a.target, stack);
            boxed(&mut a.value, stack);
        }
        Stmt::AnnAssign(a) => {
            boxed(&mut a.target, stack);
            boxed(&mut a.annotation, stack);
            opt(&mut a.value, stack);
        }
        Stmt::For(f) => {
            boxed(&mut f.target, stack);
            boxed(&mut f.iter, stack);
            stmts(std::mem::take(&mut f.body), stack);
            stmts(std::mem::take(&mut f.orelse), stack);
        }
        Stmt::While(w) => {
            boxed(&mut w.test, stack);
            stmts(std::mem::take(&mut w.body), stack);
            stmts(std::mem::take(&mut w.orelse), stack);
        }
        Stmt::If(i) => {
            boxed(&mut i.test, stack);
            stmts(std::mem::take(&mut i.body), stack);
            for clause in std::mem::take(&mut i.elif_else_clauses) {
                exprs(clause.test, stack);
                stmts(clause.body, stack);
            }
        }
        Stmt::With(w) => {
            for item in std::mem::take(&mut w.items) {
                stack.push(Part::Expr(item.context_expr));
                if let Some(v) = item.optional_vars {
                    stack.push(Part::Expr(*v));
                }
            }
            stmts(std::mem::take(&mut w.body), stack);
        }
        Stmt::Match(m) => {
            boxed(&mut m.subject, stack);
            for mut case in std::mem::take(&mut m.cases) {
                stack.push(Part::Pattern(std::mem::replace(&mut case.pattern, hole_pattern())));
                opt(&mut case.guard, stack);
                stmts(std::mem::take(&mut case.body), stack);
            }
        }
        Stmt::Raise(r) => {
            opt(&mut r.exc, stack);
            opt(&mut r.cause, stack);
        }
        Stmt::Try(t) => {
            stmts(std::mem::take(&mut t.body), stack);
            for handler in std::mem::take(&mut t.handlers) {
                let ast::ExceptHandler::ExceptHandler(mut h) = handler;
                opt(&mut h.type_, stack);
                stmts(std::mem::take(&mut h.body), stack);
            }
            stmts(std::mem::take(&mut t.orelse), stack);
            stmts(std::mem::take(&mut t.finalbody), stack);
        }
        Stmt::Assert(a) => {
            boxed(&mut a.test, stack);
            opt(&mut a.msg, stack);
        }
        Stmt::Expr(e) => boxed(&mut e.value, stack),
        _ => {}
    }
}

fn take_expr(mut e: Expr, stack: &mut Vec<Part>) {
    match &mut e {
        Expr::BoolOp(b) => exprs(std::mem::take(&mut b.values), stack),
        Expr::Named(n) => {
            boxed(&mut n.target, stack);
            boxed(&mut n.value, stack);
        }
        Expr::BinOp(b) => {
            boxed(&mut b.left, stack);
            boxed(&mut b.right, stack);
        }
        Expr::UnaryOp(u) => boxed(&mut u.operand, stack),
        Expr::Lambda(l) => {
            if let Some(p) = l.parameters.as_mut() {
                parameters(p, stack);
            }
            boxed(&mut l.body, stack);
        }
        Expr::If(i) => {
            boxed(&mut i.test, stack);
            boxed(&mut i.body, stack);
            boxed(&mut i.orelse, stack);
        }
        Expr::Dict(d) => {
            for item in std::mem::take(&mut d.items) {
                exprs(item.key, stack);
                stack.push(Part::Expr(item.value));
            }
        }
        Expr::Set(s) => exprs(std::mem::take(&mut s.elts), stack),
        Expr::ListComp(c) => {
            boxed(&mut c.elt, stack);
            comprehensions(std::mem::take(&mut c.generators), stack);
        }
        Expr::SetComp(c) => {
            boxed(&mut c.elt, stack);
            comprehensions(std::mem::take(&mut c.generators), stack);
        }
        Expr::DictComp(c) => {
            opt(&mut c.key, stack);
            boxed(&mut c.value, stack);
            comprehensions(std::mem::take(&mut c.generators), stack);
        }
        Expr::Generator(c) => {
            boxed(&mut c.elt, stack);
            comprehensions(std::mem::take(&mut c.generators), stack);
        }
        Expr::Await(a) => boxed(&mut a.value, stack),
        Expr::Yield(y) => opt(&mut y.value, stack),
        Expr::YieldFrom(y) => boxed(&mut y.value, stack),
        Expr::Compare(c) => {
            boxed(&mut c.left, stack);
            exprs(std::mem::take(&mut c.comparators).into_vec(), stack);
        }
        Expr::Call(c) => {
            boxed(&mut c.func, stack);
            arguments(&mut c.arguments, stack);
        }
        Expr::Attribute(a) => boxed(&mut a.value, stack),
        Expr::Subscript(s) => {
            boxed(&mut s.value, stack);
            boxed(&mut s.slice, stack);
        }
        Expr::Starred(s) => boxed(&mut s.value, stack),
        Expr::List(l) => exprs(std::mem::take(&mut l.elts), stack),
        Expr::Tuple(t) => exprs(std::mem::take(&mut t.elts), stack),
        Expr::Slice(s) => {
            opt(&mut s.lower, stack);
            opt(&mut s.upper, stack);
            opt(&mut s.step, stack);
        }
        _ => {}
    }
}

fn comprehensions(gens: Vec<ast::Comprehension>, stack: &mut Vec<Part>) {
    for g in gens {
        stack.push(Part::Expr(g.target));
        stack.push(Part::Expr(g.iter));
        exprs(g.ifs, stack);
    }
}

fn take_pattern(mut p: Pattern, stack: &mut Vec<Part>) {
    match &mut p {
        Pattern::MatchValue(v) => boxed(&mut v.value, stack),
        Pattern::MatchSequence(s) => stack.extend(std::mem::take(&mut s.patterns).into_iter().map(Part::Pattern)),
        Pattern::MatchMapping(m) => {
            exprs(std::mem::take(&mut m.keys), stack);
            stack.extend(std::mem::take(&mut m.patterns).into_iter().map(Part::Pattern));
        }
        Pattern::MatchClass(c) => {
            boxed(&mut c.cls, stack);
            stack.extend(std::mem::take(&mut c.arguments.patterns).into_iter().map(Part::Pattern));
            stack.extend(std::mem::take(&mut c.arguments.keywords).into_iter().map(|k| Part::Pattern(k.pattern)));
        }
        Pattern::MatchAs(a) => {
            if let Some(inner) = a.pattern.take() {
                stack.push(Part::Pattern(*inner));
            }
        }
        Pattern::MatchOr(o) => stack.extend(std::mem::take(&mut o.patterns).into_iter().map(Part::Pattern)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> ast::ModModule {
        ruff_python_parser::parse_unchecked_source(src, ast::PySourceType::Python).into_syntax()
    }

    #[test]
    fn byte_bounds_bound_the_lexer_counts() {
        // With the byte bounds as its limits the lexer must accept each input (the bounds are
        // at least what it counts), and one below them it refuses the ones built to be tight.
        let m = ruff_python_parser::Mode::Module;
        for (src, tight) in [
            ("x = -(+(~[not {a: b ** c ** d}]))\n", false),
            ("f = lambda: (yield) if await g else -h\n", false),
            ("$?!`\\\u{1}\u{7f}", false),
            ("((((((((((", true),
            ("---------1", true),
        ] {
            let (nesting, unknown) = counted_bounds(src.as_bytes());
            assert!(byte_bounds(src).0 >= nesting && byte_bounds(src).1 >= unknown);
            assert_eq!(lexer_limits(src, m, nesting, unknown), None, "{src:?}");
            if tight {
                assert!(lexer_limits(src, m, nesting - 1, unknown.saturating_sub(1)).is_some(), "{src:?}");
            }
        }
    }

    #[test]
    fn lexical_gate() {
        let m = ruff_python_parser::Mode::Module;
        assert!(!too_deep_to_parse("x = [(1, -2), {'a': -3 ** 2}]\n", m, 10));
        assert!(too_deep_to_parse(&"(".repeat(11), m, 10));
        assert!(too_deep_to_parse(&format!("x = {}1", "-".repeat(11)), m, 10));
        assert!(too_deep_to_parse(&format!("x = 2{}", "**2".repeat(11)), m, 10));
        assert!(!too_deep_to_parse(&format!("x = [{}]", "-1, ".repeat(100)), m, 10));
        assert!(!too_deep_to_parse(&format!("s = '{}'", "(".repeat(100)), m, 10), "brackets in strings");
    }

    #[test]
    fn measures_nesting_without_recursion() {
        let m = parse("x = 1\ny = f(g(h(1)))\n");
        assert_eq!(depth(&m.body[0], MAX_DEPTH), 2);
        assert!(depth(&m.body[1], MAX_DEPTH) >= 4);
    }

    #[test]
    fn gates_and_dismantles_a_deep_statement() {
        let n = 50_000;
        let src = format!("ok = 1\nx = {}1{}\nz = 2\n", "[".repeat(n), "]".repeat(n));
        let mut m = ruff_python_parser::parse_unchecked_source(&src, ast::PySourceType::Python).into_syntax();
        let skipped = gate(&mut m.body, MAX_DEPTH);
        assert_eq!(skipped.len(), 1);
        assert!(matches!(m.body[1], Stmt::Pass(_)));
        assert_eq!(m.body.len(), 3);
    }
}
