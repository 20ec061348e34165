//! The differential fix harness: for every rule with a fix (NG101, NG107, NG201, NG202), generated
//! programs put the flagged pattern in a thread task over adversarial inputs (dtypes, shapes,
//! broadcasting pairs, NaN positions, negative-stride and strided views, operands with side
//! effects, `math.sqrt` and `np.sqrt`). numgil fixes them (unsafe fixes included), then one
//! Python process runs the original and the fixed function of every case on fresh inputs and
//! reports each result exactly: type, dtype, shape, the value's bytes, or the exception type.
//!
//! A Safe fix must not change any result. Every difference an Unsafe fix makes must fall in a
//! class, decided from the case's input features, whose tag starts a bullet of the rule's
//! `## Fix safety` section (`- NaN not first: ...`); a difference in no documented class fails
//! the test. Run with `--nocapture` for the case count and the differences table.

mod common;

use numgil::config::Settings;
use numgil::findings::fix::{Applicability, FixMode};
use numgil::project::Project;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

const DTYPES: &[&str] = &[
    "bool",
    "int8",
    "uint8",
    "int16",
    "int32",
    "float16",
    "float32",
    "float64",
    "complex128",
    "object",
    "timedelta64",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nan {
    First,
    Middle,
    Last,
}

impl Nan {
    fn arg(self) -> &'static str {
        match self {
            Nan::First => "'first'",
            Nan::Middle => "'middle'",
            Nan::Last => "'last'",
        }
    }
}

/// How a task views its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Contiguous,
    /// `x[::-1]`: a negative stride.
    Reversed,
    /// `x[::2]`: not contiguous.
    Strided,
}

/// What numgil is told about an operand's rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rank {
    /// `np.asarray(d).reshape(n)`: known 1-D.
    One,
    /// `np.asarray(d).reshape(r, c)`: known 2-D.
    Two,
    /// `np.asarray(d)`: an array of unknown rank.
    Unknown,
}

#[derive(Clone, Debug)]
struct Operand {
    dtype: &'static str,
    /// The shape of the data passed in (before the view).
    shape: Vec<usize>,
    view: View,
    nan: Option<Nan>,
    rank: Rank,
    /// Literal values instead of seeded random ones (`[0.0, -0.0]`).
    values: Option<&'static str>,
    /// `np.asarray(d, dtype=bool)`: numgil knows it is bool.
    bool_known: bool,
}

impl Operand {
    fn new(dtype: &'static str, shape: &[usize], rank: Rank) -> Self {
        Operand {
            dtype,
            shape: shape.to_vec(),
            view: View::Contiguous,
            nan: None,
            rank,
            values: None,
            bool_known: false,
        }
    }

    fn view(mut self, v: View) -> Self {
        self.view = v;
        self
    }

    fn nan(mut self, n: Nan) -> Self {
        if can_hold_nan(self.dtype) {
            self.nan = Some(n);
        }
        self
    }

    fn values(mut self, v: &'static str) -> Self {
        self.values = Some(v);
        self
    }

    fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// The shape the task sees, after the view.
    fn seen_shape(&self) -> Vec<usize> {
        let mut s = match self.rank {
            Rank::One => vec![self.size()],
            _ => self.shape.clone(),
        };
        if self.view == View::Strided
            && let Some(first) = s.first_mut()
        {
            *first = first.div_ceil(2);
        }
        s
    }

    fn expr(&self, i: usize) -> String {
        let dtype = if self.bool_known { ", dtype=bool" } else { "" };
        let base = match self.rank {
            Rank::One => format!("np.asarray(d{i}{dtype}).reshape({})", self.size()),
            Rank::Two => format!("np.asarray(d{i}{dtype}).reshape({}, {})", self.shape[0], self.shape[1]),
            Rank::Unknown => format!("np.asarray(d{i}{dtype})"),
        };
        match self.view {
            View::Contiguous => base,
            View::Reversed => format!("{base}[::-1]"),
            View::Strided => format!("{base}[::2]"),
        }
    }

    fn arg(&self, seed: usize) -> String {
        let shape = match self.shape.len() {
            0 => "()".to_string(),
            1 => format!("({},)", self.shape[0]),
            _ => format!("({})", self.shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
        };
        let dtype = if self.dtype == "timedelta64" { "timedelta64[s]" } else { self.dtype };
        let mut s = format!("mk('{dtype}', {shape}, seed={seed}");
        if let Some(n) = self.nan {
            let _ = write!(s, ", nan={}", n.arg());
        }
        if let Some(v) = self.values {
            let _ = write!(s, ", values={v}");
        }
        s.push(')');
        s
    }
}

fn can_hold_nan(dtype: &str) -> bool {
    matches!(dtype, "float16" | "float32" | "float64" | "complex128" | "object")
}

fn is_float(dtype: &str) -> bool {
    matches!(dtype, "float16" | "float32" | "float64" | "complex128")
}

/// Integers (and bool) narrower than the platform integer, which `np.sum` widens.
fn is_narrow_int(dtype: &str) -> bool {
    matches!(dtype, "bool" | "int8" | "uint8" | "int16" | "int32")
}

fn is_int(dtype: &str) -> bool {
    matches!(dtype, "int8" | "uint8" | "int16" | "int32")
}

#[derive(Clone, Debug)]
struct Case {
    id: usize,
    /// The rule whose pattern the case holds.
    rule: &'static str,
    /// Which pattern (`max`, `@`, `np.sum(a * b)`, `math.sqrt(x * x)`, ...).
    form: &'static str,
    operands: Vec<Operand>,
    /// Statements before the `return` (side-effect cases build their own inputs).
    setup: Vec<String>,
    ret: String,
    /// Whether the rule must offer a fix here (`Some(false)`: a guard must refuse one).
    expect_fix: Option<bool>,
    side_effect: bool,
}

impl Case {
    fn any_dtype(&self, f: impl Fn(&str) -> bool) -> bool {
        self.operands.iter().any(|o| f(o.dtype))
    }

    fn has_nan(&self, which: &[Nan]) -> bool {
        self.operands.iter().any(|o| o.nan.is_some_and(|n| which.contains(&n)))
    }

    fn empty(&self) -> bool {
        self.operands.iter().any(|o| o.seen_shape().contains(&0))
    }

    fn shapes_differ(&self) -> bool {
        let shapes: BTreeSet<Vec<usize>> = self.operands.iter().map(Operand::seen_shape).collect();
        shapes.len() > 1
    }

    fn source(&self) -> String {
        let params: Vec<String> = if self.side_effect {
            vec!["d0".into()]
        } else {
            (0..self.operands.len()).map(|i| format!("d{i}")).collect()
        };
        let mut s = format!("def case_{}({}):\n", self.id, params.join(", "));
        for (i, o) in self.operands.iter().enumerate() {
            let _ = writeln!(s, "    x{i} = {}", o.expr(i));
        }
        for line in &self.setup {
            let _ = writeln!(s, "    {line}");
        }
        let _ = writeln!(s, "    return {}\n\n", self.ret);
        s
    }

    fn args(&self) -> Vec<String> {
        if self.side_effect {
            return vec![format!("{}", self.id)];
        }
        self.operands.iter().enumerate().map(|(i, o)| o.arg(self.id * 7 + i)).collect()
    }

    fn describe(&self) -> String {
        let ops: Vec<String> = self
            .operands
            .iter()
            .map(|o| {
                let mut s = format!("{}{:?}", o.dtype, o.shape);
                match o.view {
                    View::Reversed => s.push_str("[::-1]"),
                    View::Strided => s.push_str("[::2]"),
                    View::Contiguous => {}
                }
                if let Some(n) = o.nan {
                    let _ = write!(s, " NaN {n:?}");
                }
                if o.values.is_some() {
                    s.push_str(" values");
                }
                if o.rank == Rank::Unknown {
                    s.push_str(" rank?");
                }
                s
            })
            .collect();
        format!("{} {} ({})", self.rule, self.form, ops.join(", "))
    }
}

struct Gen {
    cases: Vec<Case>,
}

impl Gen {
    fn push(&mut self, rule: &'static str, form: &'static str, operands: Vec<Operand>, ret: String) -> &mut Case {
        let id = self.cases.len();
        self.cases.push(Case {
            id,
            rule,
            form,
            operands,
            setup: Vec::new(),
            ret,
            expect_fix: None,
            side_effect: false,
        });
        self.cases.last_mut().expect("just pushed")
    }
}

/// NG101: builtin `sum`/`min`/`max`/`any`/`all` over an array.
fn ng101(g: &mut Gen) {
    let layouts: &[(&[usize], Rank, View, Option<Nan>)] = &[
        (&[9], Rank::One, View::Contiguous, Some(Nan::Middle)),
        (&[9], Rank::One, View::Reversed, Some(Nan::Last)),
        (&[10], Rank::One, View::Strided, Some(Nan::First)),
        (&[0], Rank::One, View::Contiguous, None),
        (&[2, 3], Rank::Two, View::Contiguous, None),
        (&[7], Rank::Unknown, View::Contiguous, None),
        (&[2, 3], Rank::Unknown, View::Reversed, None),
        (&[], Rank::Unknown, View::Contiguous, None),
        (&[0, 3], Rank::Unknown, View::Contiguous, None),
    ];
    for op in ["sum", "min", "max", "any", "all"] {
        for &dtype in DTYPES {
            for &(shape, rank, view, nan) in layouts {
                let mut o = Operand::new(dtype, shape, rank).view(view);
                if let Some(n) = nan {
                    o = o.nan(n);
                }
                let expect = match (op, rank) {
                    (_, Rank::One) => Some(true),
                    ("sum", _) => Some(true),
                    _ => Some(false),
                };
                g.push("NG101", op, vec![o], format!("{op}(x0)")).expect_fix = expect;
            }
        }
        // Signed zeros in either order.
        for values in ["[0.0, -0.0, -0.0]", "[-0.0, 0.0, 0.0]"] {
            let o = Operand::new("float64", &[3], Rank::One).values(values);
            g.push("NG101", op, vec![o], format!("{op}(x0)")).expect_fix = Some(true);
        }
    }
    // `sum(a * b)`: NG101's fix, then NG201's on the result.
    for &dtype in &["float64", "float32", "int16"] {
        let ops = vec![Operand::new(dtype, &[9], Rank::One), Operand::new(dtype, &[9], Rank::One).view(View::Reversed)];
        g.push("NG101", "sum(a * b)", ops, "sum(x0 * x1)".into()).expect_fix = Some(true);
    }
}

/// NG107: `a @ b` and `np.matmul(a, b)` of two 1-D arrays.
fn ng107(g: &mut Gen) {
    for (form, ret) in [("@", "x0 @ x1"), ("np.matmul", "np.matmul(x0, x1)")] {
        for &dtype in DTYPES {
            for n in [7, 64] {
                for view in [View::Contiguous, View::Reversed, View::Strided] {
                    let a = Operand::new(dtype, &[n], Rank::One).view(view);
                    let b = Operand::new(dtype, &[n.div_ceil(if view == View::Strided { 2 } else { 1 })], Rank::One);
                    g.push("NG107", form, vec![a, b], ret.into()).expect_fix = Some(true);
                }
            }
        }
        // The reproduction: a long reversed signal against a kernel.
        let a = Operand::new("float64", &[1000], Rank::One).view(View::Reversed);
        let b = Operand::new("float64", &[1000], Rank::One);
        g.push("NG107", form, vec![a, b], ret.into()).expect_fix = Some(true);
        // timedelta64 against integers, both ways; NaN; mismatched lengths; empty.
        for (da, db) in [("timedelta64", "int32"), ("int32", "timedelta64"), ("float64", "int8")] {
            let ops = vec![Operand::new(da, &[5], Rank::One), Operand::new(db, &[5], Rank::One)];
            g.push("NG107", form, ops, ret.into()).expect_fix = Some(true);
        }
        let ops =
            vec![Operand::new("float64", &[5], Rank::One).nan(Nan::Middle), Operand::new("float64", &[5], Rank::One)];
        g.push("NG107", form, ops, ret.into()).expect_fix = Some(true);
        let ops = vec![Operand::new("float64", &[3], Rank::One), Operand::new("float64", &[4], Rank::One)];
        g.push("NG107", form, ops, ret.into()).expect_fix = Some(true);
        let ops = vec![Operand::new("float32", &[0], Rank::One), Operand::new("float32", &[0], Rank::One)];
        g.push("NG107", form, ops, ret.into()).expect_fix = Some(true);
    }
}

/// NG201: `np.sum(a * b)` and `(a * b).sum()`.
fn ng201(g: &mut Gen) {
    for (form, ret) in [("np.sum(a * b)", "np.sum(x0 * x1)"), ("(a * b).sum()", "(x0 * x1).sum()")] {
        for &dtype in DTYPES {
            for (rank, view) in
                [(Rank::One, View::Contiguous), (Rank::One, View::Reversed), (Rank::Unknown, View::Contiguous)]
            {
                let mut a = Operand::new(dtype, &[9], rank).view(view);
                if rank == Rank::Unknown {
                    a = a.nan(Nan::Last);
                }
                let b = Operand::new(dtype, &[9], rank);
                g.push("NG201", form, vec![a, b], ret.into()).expect_fix = Some(true);
            }
        }
        // Complex operands of unknown rank: `np.vdot` conjugates the first.
        let ops =
            vec![Operand::new("complex128", &[5], Rank::Unknown), Operand::new("complex128", &[5], Rank::Unknown)];
        g.push("NG201", form, ops, ret.into()).expect_fix = Some(true);
        // An object array numgil knows of: no fix.
        let ops = vec![Operand::new("float64", &[4], Rank::One), Operand::new("float64", &[4], Rank::One)];
        let c = g.push("NG201", form, ops, ret.replace("x0 *", "x0.astype(object) *"));
        c.expect_fix = Some(false);
        // Bool known to numgil: no fix.
        let mut a = Operand::new("bool", &[6], Rank::One);
        a.bool_known = true;
        let b = a.clone();
        g.push("NG201", form, vec![a, b], ret.into()).expect_fix = Some(false);
        // Broadcasting and mismatched shapes, with unknown rank (np.vdot) and known rank.
        let pairs: &[(&[usize], &[usize], Rank)] = &[
            (&[3, 1], &[1, 3], Rank::Unknown),
            (&[2, 3], &[3], Rank::Unknown),
            (&[], &[4], Rank::Unknown),
            (&[3], &[4], Rank::Unknown),
            (&[3], &[1], Rank::One),
            (&[3], &[4], Rank::One),
            (&[2, 3], &[2, 3], Rank::Two),
            (&[0], &[0], Rank::One),
        ];
        for &(sa, sb, rank) in pairs {
            for dtype in ["float64", "int32"] {
                let ops = vec![Operand::new(dtype, sa, rank), Operand::new(dtype, sb, rank)];
                g.push("NG201", form, ops, ret.into()).expect_fix = Some(true);
            }
        }
        // The broadcasting example with ones and twos: 36 → 14.
        let ops = vec![
            Operand::new("float64", &[3, 1], Rank::Unknown).values("[[1.0], [2.0], [3.0]]"),
            Operand::new("float64", &[1, 3], Rank::Unknown).values("[[1.0, 2.0, 3.0]]"),
        ];
        g.push("NG201", form, ops, ret.into()).expect_fix = Some(true);
        // A uint8 image: 200 * 200 * 5 = 200000 fits in np.sum's uint64, not in uint8.
        let img = Operand::new("uint8", &[5], Rank::One).values("[200] * 5");
        g.push("NG201", form, vec![img.clone(), img], ret.into()).expect_fix = Some(true);
    }
    // Operands with side effects: both draws happen, in the same order, in the fix.
    let c = g.push("NG201", "side effects", Vec::new(), "np.sum(rng.random(5) * rng.random(5))".into());
    c.setup = vec!["rng = np.random.default_rng(d0)".into()];
    c.side_effect = true;
    c.expect_fix = Some(true);
}

/// NG202: `np.sqrt(np.sum(x ** 2))`, `np.sqrt((x * x).sum())` and the `math.sqrt` forms.
fn ng202(g: &mut Gen) {
    let forms = [
        ("np.sqrt(sum(x ** 2))", "np.sqrt(np.sum(x0 ** 2))"),
        ("np.sqrt((x * x).sum())", "np.sqrt((x0 * x0).sum())"),
        ("math.sqrt(sum(x ** 2))", "math.sqrt(np.sum(x0 ** 2))"),
        ("math.sqrt(sum(x * x))", "math.sqrt(np.sum(x0 * x0))"),
    ];
    for (form, ret) in forms {
        for &dtype in DTYPES {
            for (shape, rank, view) in [
                (&[9][..], Rank::One, View::Reversed),
                (&[64][..], Rank::One, View::Strided),
                (&[2, 3][..], Rank::Unknown, View::Contiguous),
                (&[0][..], Rank::One, View::Contiguous),
            ] {
                let mut o = Operand::new(dtype, shape, rank).view(view);
                if rank == Rank::Unknown {
                    o = o.nan(Nan::Middle);
                }
                g.push("NG202", form, vec![o], ret.into()).expect_fix = Some(true);
            }
        }
        // Large float16 values: the square overflows.
        let o = Operand::new("float16", &[4], Rank::One).values("[300.0, 200.0, 100.0, 50.0]");
        g.push("NG202", form, vec![o], ret.into()).expect_fix = Some(true);
    }
    // Subscripts compared as trees, not text: `x[0] * x[ 0 ]` is a square.
    let o = Operand::new("float64", &[2, 5], Rank::Two);
    g.push("NG202", "subscript", vec![o], "np.sqrt(np.sum(x0[0] * x0[ 0 ]))".into()).expect_fix = Some(true);
    // Side effects: two draws are not a square (no NG202 fix; NG201 fuses the product).
    for (form, ret, expect) in [
        ("side effects x * x", "np.sqrt(np.sum(rng.random(5) * rng.random(5)))", false),
        ("side effects x ** 2", "np.sqrt(np.sum(rng.random(5) ** 2))", true),
        ("side effects math.sqrt", "math.sqrt(np.sum(rng.random(5) * rng.random(5)))", false),
    ] {
        let c = g.push("NG202", form, Vec::new(), ret.into());
        c.setup = vec!["rng = np.random.default_rng(d0)".into()];
        c.side_effect = true;
        c.expect_fix = Some(expect);
    }
}

/// One program holding every case as a function submitted to a thread pool.
fn program(cases: &[Case]) -> String {
    let mut s =
        String::from("import math\nfrom concurrent.futures import ThreadPoolExecutor\n\nimport numpy as np\n\n\n");
    for c in cases {
        s.push_str(&c.source());
    }
    s.push_str("def _launch(args):\n    with ThreadPoolExecutor() as ex:\n");
    for c in cases {
        let _ = writeln!(s, "        ex.submit(case_{}, *args)", c.id);
    }
    s
}

/// The case a row of the program belongs to.
fn case_at(text: &str, row: usize) -> Option<usize> {
    text.lines().take(row).filter_map(|l| l.strip_prefix("def case_")).last()?.split('(').next()?.parse().ok()
}

/// The fixes applied to each case: (rule, applicability) per case id.
type Applied = BTreeMap<usize, BTreeSet<(&'static str, Applicability)>>;

/// Apply every fix (unsafe included) until nothing changes, recording which rule fixed what.
fn fix_all(text: &str) -> (String, Applied, Applied) {
    let settings = Settings::default();
    let path = PathBuf::from("cases.py");
    let mut text = text.to_string();
    let mut applied: Applied = BTreeMap::new();
    let mut offered: Applied = BTreeMap::new();
    for _round in 0..10 {
        let project = Project::from_sources(vec![(path.clone(), text.clone())]);
        let diags = numgil::check_project(&project, &settings);
        let fixes: Vec<&numgil::findings::fix::Fix> = diags.iter().filter_map(|d| d.fix.as_ref()).collect();
        for d in &diags {
            if let (Some(f), Some(case)) = (&d.fix, case_at(&text, d.start.row)) {
                offered.entry(case).or_default().insert((d.code, f.applicability));
            }
        }
        let (new, n, edits) = numgil::findings::fix::apply_edits(&text, fixes, FixMode::Unsafe);
        if n == 0 || new == text {
            break;
        }
        for d in &diags {
            let Some(f) = &d.fix else { continue };
            if f.edits.iter().all(|e| edits.contains(e))
                && let Some(case) = case_at(&text, d.start.row)
            {
                applied.entry(case).or_default().insert((d.code, f.applicability));
            }
        }
        text = new;
    }
    (text, applied, offered)
}

/// What a program returned or raised, as the runner reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
struct Outcome {
    exc: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    dtype: Option<String>,
    shape: Option<Vec<usize>>,
    value: Option<String>,
}

impl Outcome {
    fn brief(&self) -> String {
        match &self.exc {
            Some(e) => format!("raises {e}"),
            None => {
                let value = self.value.as_deref().unwrap_or("");
                let value = if value.len() > 24 { format!("{}…", &value[..24]) } else { value.to_string() };
                format!(
                    "{} {} {:?} {value}",
                    self.ty.as_deref().unwrap_or("?"),
                    self.dtype.as_deref().unwrap_or(""),
                    self.shape.as_deref().unwrap_or(&[])
                )
            }
        }
    }
}

#[derive(Debug, serde::Deserialize)]
struct Result_ {
    id: usize,
    orig: Outcome,
    fixed: Outcome,
    close: bool,
    /// The largest relative difference of the two values, when both are numbers of one shape.
    rel: Option<f64>,
}

/// The documented class of a difference, from the case's input features and how the results
/// differ; `None` when the difference fits no class the rule documents.
fn classify(rule: &str, c: &Case, r: &Result_) -> Option<&'static str> {
    let same_kind = r.orig.exc.is_none()
        && r.fixed.exc.is_none()
        && r.orig.ty == r.fixed.ty
        && r.orig.dtype == r.fixed.dtype
        && r.orig.shape == r.fixed.shape;
    let rounding = same_kind && r.close;
    match rule {
        "NG101" => {
            let minmax = matches!(c.form, "min" | "max");
            if minmax && c.any_dtype(|d| d == "object") && c.has_nan(&[Nan::First]) {
                return Some("object arrays");
            }
            if minmax && c.has_nan(&[Nan::Middle, Nan::Last]) {
                return Some("NaN not first");
            }
            if minmax && c.operands.iter().any(|o| o.values.is_some_and(|v| v.contains("-0.0"))) && same_kind {
                return Some("signed zeros");
            }
            if c.form.starts_with("sum") {
                if c.empty() && r.orig.exc.is_none() {
                    return Some("empty arrays");
                }
                if c.any_dtype(is_narrow_int) && r.orig.exc.is_none() {
                    return Some("narrow integers");
                }
                if c.operands.iter().any(|o| o.shape.is_empty() && o.rank == Rank::Unknown)
                    && r.orig.exc.is_some()
                    && r.fixed.exc.is_none()
                {
                    return Some("0-d input");
                }
                if rounding && c.any_dtype(|d| is_float(d) || d == "object") {
                    return Some("rounding");
                }
            }
            None
        }
        "NG107" => {
            if c.any_dtype(|d| d == "timedelta64") && r.orig.exc.is_some() && r.fixed.exc.is_none() {
                return Some("timedelta64 input");
            }
            if rounding && c.operands.iter().any(|o| o.view == View::Reversed) && c.any_dtype(is_float) {
                return Some("negative strides");
            }
            if rounding && c.any_dtype(|d| is_float(d) || d == "object") {
                return Some("rounding");
            }
            None
        }
        "NG201" => {
            if c.shapes_differ() {
                return Some("broadcasting");
            }
            if c.any_dtype(|d| d == "timedelta64") && r.orig.exc.is_some() && r.fixed.exc.is_none() {
                return Some("timedelta64 input");
            }
            if c.any_dtype(|d| d == "bool") && r.orig.exc.is_none() {
                return Some("bool input");
            }
            if c.any_dtype(is_narrow_int) && r.orig.exc.is_none() {
                return Some("narrow integers");
            }
            // `np.vdot` (an operand of unknown or higher rank) conjugates its first argument.
            if c.any_dtype(|d| d == "complex128") && c.operands.iter().any(|o| o.rank != Rank::One) {
                return Some("complex input");
            }
            if rounding && (c.any_dtype(|d| is_float(d) || d == "object") || c.side_effect) {
                return Some("rounding");
            }
            None
        }
        "NG202" => {
            if c.any_dtype(|d| d == "complex128") {
                return Some("complex input");
            }
            if c.any_dtype(|d| d == "timedelta64") && r.orig.exc.is_some() && r.fixed.exc.is_none() {
                return Some("timedelta64 input");
            }
            // The wrapped sum of squares can be negative: `math.sqrt` then raises `ValueError`.
            if c.any_dtype(|d| is_int(d) || d == "bool") && r.fixed.exc.is_none() {
                return Some("integer input");
            }
            if c.any_dtype(|d| d == "object") && r.orig.exc.is_none() && r.fixed.exc.is_none() {
                return Some("object arrays");
            }
            if rounding && (c.any_dtype(is_float) || c.side_effect) {
                return Some("rounding");
            }
            // `math.sqrt` roots in double precision, `norm` in the array's: the fixed value is
            // rounded to float32 or float16.
            let precision = if c.any_dtype(|d| d == "float16") { 1e-2 } else { 1e-6 };
            if c.form.starts_with("math.sqrt")
                && c.any_dtype(|d| matches!(d, "float16" | "float32"))
                && same_kind
                && r.rel.is_some_and(|x| x < precision)
            {
                return Some("rounding");
            }
            None
        }
        _ => None,
    }
}

/// The tags of a rule's `## Fix safety` bullets (`- NaN not first: ...` → `NaN not first`).
fn documented_tags(code: &str) -> BTreeSet<String> {
    let doc = numgil::rules::meta_for(code).map(|m| m.doc()).unwrap_or_default();
    let section = doc.split("## Fix safety").nth(1).unwrap_or("");
    let section = section.split("\n## ").next().unwrap_or("");
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_once(':').map(|(tag, _)| tag.trim().to_string()))
        .collect()
}

#[test]
fn fixes_keep_results_or_document_every_difference() {
    let python = common::python();
    let mut g = Gen { cases: Vec::new() };
    ng101(&mut g);
    ng107(&mut g);
    ng201(&mut g);
    ng202(&mut g);
    let cases = g.cases;
    let original = program(&cases);
    let (fixed, applied, offered) = fix_all(&original);

    let mut failures = Vec::new();
    // The guards: where a fix must be refused or offered.
    for c in &cases {
        let offers = offered.get(&c.id).is_some_and(|s| s.iter().any(|(code, _)| *code == c.rule));
        match c.expect_fix {
            Some(true) if !offers => {
                failures.push(format!("case {}: {} offers no fix: {}", c.id, c.rule, c.describe()))
            }
            Some(false) if offers => {
                failures.push(format!("case {}: {} must not offer a fix: {}", c.id, c.rule, c.describe()))
            }
            _ => {}
        }
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let (orig_path, fixed_path, cases_path) =
        (dir.path().join("orig.py"), dir.path().join("fixed.py"), dir.path().join("cases.json"));
    std::fs::write(&orig_path, &original).unwrap();
    std::fs::write(&fixed_path, &fixed).unwrap();
    let run: Vec<serde_json::Value> = cases
        .iter()
        .filter(|c| applied.contains_key(&c.id))
        .map(|c| serde_json::json!({"id": c.id, "args": c.args()}))
        .collect();
    std::fs::write(&cases_path, serde_json::to_string(&run).unwrap()).unwrap();
    let runner = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fix_semantics_runner.py");
    let out = std::process::Command::new(python)
        .arg(runner)
        .args([&orig_path, &fixed_path, &cases_path])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "runner failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Result_> = serde_json::from_slice(&out.stdout).expect("runner output is JSON");

    // Every difference, classified.
    let mut table: BTreeMap<(&'static str, &'static str), Vec<String>> = BTreeMap::new();
    let mut per_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &results {
        let c = &cases[r.id];
        let fixes = &applied[&r.id];
        for (code, _) in fixes {
            *per_rule.entry(code).or_default() += 1;
        }
        if r.orig == r.fixed {
            continue;
        }
        let line = format!("case {}: {}: {} → {}", c.id, c.describe(), r.orig.brief(), r.fixed.brief());
        if fixes.iter().any(|(_, a)| *a == Applicability::Safe) && fixes.iter().all(|(_, a)| *a == Applicability::Safe)
        {
            failures.push(format!("a Safe fix changed a result: {line}"));
            continue;
        }
        // Documented by one of the unsafe fixes applied to this case.
        let class = fixes.iter().filter(|(_, a)| *a != Applicability::Safe).find_map(|(code, _)| {
            let tag = classify(code, c, r)?;
            documented_tags(code).contains(tag).then_some((*code, tag))
        });
        match class {
            Some(k) => table.entry(k).or_default().push(line),
            None => {
                let codes: Vec<&str> = fixes.iter().map(|(c, _)| *c).collect();
                failures.push(format!("undocumented difference ({}): {line}", codes.join("+")));
            }
        }
    }

    println!("fix semantics: {} generated cases, {} fixed and executed before and after", cases.len(), results.len());
    for (rule, n) in &per_rule {
        println!("  {rule}: {n} cases fixed");
    }
    println!("differences by documented class:");
    for ((rule, tag), lines) in &table {
        println!("  {rule} {tag}: {}", lines.len());
        for l in lines.iter().take(3) {
            println!("      {l}");
        }
    }
    for rule in ["NG101", "NG107", "NG201", "NG202"] {
        let seen: BTreeSet<&str> = table.keys().filter(|(r, _)| *r == rule).map(|(_, t)| *t).collect();
        let unseen: Vec<String> = documented_tags(rule).into_iter().filter(|t| !seen.contains(t.as_str())).collect();
        if !unseen.is_empty() {
            println!("  {rule} documents classes no generated case showed: {}", unseen.join(", "));
        }
    }
    assert!(results.len() >= 150, "only {} cases ran", results.len());
    for rule in ["NG101", "NG107", "NG201", "NG202"] {
        assert!(per_rule.get(rule).copied().unwrap_or(0) >= 10, "too few {rule} cases were fixed: {per_rule:?}");
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
