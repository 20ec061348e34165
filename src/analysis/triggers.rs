//! A fast text pre-scan that decides which code units can matter, so the analysis walks only
//! those: a unit that never names a launcher method or constructor cannot launch a task, and a
//! unit that never calls any of a rule's trigger names cannot produce that rule's finding.
//! One Aho-Corasick pass per file; matches must be whole identifiers.

use aho_corasick::{AhoCorasick, MatchKind};
use ruff_text_size::TextRange;
use std::sync::OnceLock;

/// Names that a launcher call or a thread subclass must spell out in the unit. The first
/// `METHOD_WORDS` are pool methods: they only count as `.name(`.
pub const LAUNCH_WORDS: &[&str] = &[
    "submit",
    "map",
    "imap",
    "imap_unordered",
    "map_async",
    "starmap",
    "starmap_async",
    "apply",
    "apply_async",
    "run_in_executor",
    "to_thread",
    "Thread",
    "Timer",
    "Process",
    "Parallel",
    "thread_map",
    "process_map",
    "create_worker",
    "compute",
    // Any occurrence of these counts (decorators, class bases, `dask.threaded.get`).
    "thread_worker",
    "QThread",
    "QRunnable",
    "threaded",
    "Executor",
    "ThreadPoolExecutor",
    "ThreadPool",
];
const METHOD_WORDS: usize = 10;
/// Patterns from here on count wherever they occur as a whole identifier.
const ANY_WORDS: usize = 19;

/// Offsets (sorted) of trigger words in one file.
#[derive(Debug, Default)]
pub struct Triggers {
    launch: Vec<u32>,
    /// The launch words that are pool methods (`.map(`, `.apply(`), a subset of `launch`:
    /// pandas alone has a thousand `.apply(` calls on frames.
    method_launch: Vec<u32>,
    rules: Vec<u32>,
}

struct Scanner {
    ac: AhoCorasick,
    /// Patterns `0..launch_count` are launch words; the rest are rule triggers.
    launch_count: usize,
}

fn scanner(rule_words: &'static [&'static str]) -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let mut pats: Vec<&str> = LAUNCH_WORDS.to_vec();
        pats.extend(rule_words.iter().filter(|w| !LAUNCH_WORDS.contains(w)));
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .expect("trigger patterns are valid");
        Scanner { ac, launch_count: LAUNCH_WORDS.len() }
    })
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Triggers {
    /// Scan `text` for launch words and the rules' trigger words (the same list every call).
    pub fn scan(text: &str, rule_words: &'static [&'static str]) -> Triggers {
        let s = scanner(rule_words);
        let bytes = text.as_bytes();
        let mut t = Triggers::default();
        for m in s.ac.find_iter(text) {
            let before_ok = m.start() == 0 || !is_ident_byte(bytes[m.start() - 1]);
            let after_ok = m.end() == bytes.len() || !is_ident_byte(bytes[m.end()]);
            if !(before_ok && after_ok) {
                continue;
            }
            let word = &text[m.start()..m.end()];
            let next = bytes[m.end()..].iter().find(|b| !matches!(b, b' ' | b'\t')).copied();
            let called = next == Some(b'(');
            let pattern = m.pattern().as_usize();
            if pattern < s.launch_count {
                let launch = if pattern < METHOD_WORDS {
                    // `.submit(`, `.map(`: a method on a pool.
                    called && m.start() > 0 && bytes[m.start() - 1] == b'.'
                } else if pattern >= ANY_WORDS {
                    true
                } else {
                    // `Thread(` and `to_thread(` calls, or `Thread` among a class's bases.
                    called || matches!(next, Some(b')' | b','))
                };
                if launch {
                    t.launch.push(m.start() as u32);
                    if pattern < METHOD_WORDS {
                        t.method_launch.push(m.start() as u32);
                    }
                }
            }
            // Rule triggers are names of called things: `sum(`, `sum (`.
            if called && rule_words.contains(&word) {
                t.rules.push(m.start() as u32);
            }
        }
        t
    }

    pub fn may_launch(&self, range: TextRange) -> bool {
        any_in(&self.launch, range)
    }

    /// Whether a launch word in `range` is other than a pool method (a constructor, a launcher
    /// function, a thread base class).
    pub fn may_launch_by_name(&self, range: TextRange) -> bool {
        let (start, end) = (u32::from(range.start()), u32::from(range.end()));
        let i = self.launch.partition_point(|&o| o < start);
        let j = self.method_launch.partition_point(|&o| o < start);
        let in_range = |v: &[u32], k: usize| v[k..].iter().take_while(|&&o| o < end).count();
        in_range(&self.launch, i) > in_range(&self.method_launch, j)
    }

    /// The offsets of pool-method launch words (`map` in `.map(`) in `range`.
    pub fn method_launches(&self, range: TextRange) -> &[u32] {
        let (start, end) = (u32::from(range.start()), u32::from(range.end()));
        let i = self.method_launch.partition_point(|&o| o < start);
        let j = self.method_launch.partition_point(|&o| o < end);
        &self.method_launch[i..j]
    }

    pub fn may_trigger_rules(&self, range: TextRange) -> bool {
        any_in(&self.rules, range)
    }
}

/// Whether any of the sorted `offsets` falls in `range`.
pub fn any_in(offsets: &[u32], range: TextRange) -> bool {
    let start = u32::from(range.start());
    let i = offsets.partition_point(|&o| o < start);
    offsets.get(i).is_some_and(|&o| o < u32::from(range.end()))
}

/// Every called identifier in `text` (a whole identifier followed by `(`, spaces between
/// allowed), with its offset, in text order. A search for `(` and a walk back over the
/// identifier before it: linear, and cheaper than an automaton over thousands of names.
pub fn called_identifiers<'t>(text: &'t str, mut found: impl FnMut(u32, &'t str)) {
    let bytes = text.as_bytes();
    for paren in memchr::memchr_iter(b'(', bytes) {
        let mut end = paren;
        while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && is_ident_byte(bytes[start - 1]) {
            start -= 1;
        }
        if start < end
            && let Some(word) = text.get(start..end)
        {
            found(start as u32, word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextSize;

    #[test]
    fn whole_words_only() {
        static WORDS: &[&str] = &["sum", "max"];
        let text = "summary = 1\nx = sum(a)\nex.submit(f)\nmaximum(b)\n# max of all\n";
        let t = Triggers::scan(text, WORDS);
        let all = TextRange::up_to(ruff_text_size::TextSize::of(text));
        assert!(t.may_trigger_rules(all));
        assert!(t.may_launch(all));
        let first_line = TextRange::new(0.into(), 11.into());
        assert!(!t.may_trigger_rules(first_line));
        let last_lines = TextRange::new(38.into(), TextSize::of(text));
        assert!(!t.may_trigger_rules(last_lines), "not called: prose and other names");
    }

    #[test]
    fn called_identifiers_are_whole_identifiers_before_a_paren() {
        let text = "running(x)\nself.run (y)\nrun\ngo(1); ago(2); é_go(3); go\t(4); (5) \t(6)\n";
        let mut found = Vec::new();
        called_identifiers(text, |o, w| found.push((o as usize, w)));
        let words: Vec<&str> = found.iter().map(|&(_, w)| w).collect();
        assert_eq!(words, vec!["running", "run", "go", "ago", "é_go", "go"]);
        assert!(found.iter().all(|&(o, w)| text[o..].starts_with(w)));
    }
}
