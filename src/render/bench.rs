//! `numgil bench` output: the results table (speedups like `12.3×`) and the SVG plot of
//! before/after throughput against thread count.

use crate::kernels::profile::{HostProfile, format_speedup};
use crate::kernels::runner::KernelResult;
use plotters::prelude::*;
use std::io::Write;

fn duration(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { s.to_string() } else { format!("{s}{}", " ".repeat(w - n)) }
}

/// The table printed after a run.
pub fn table(out: &mut dyn Write, profile: &HostProfile) -> std::io::Result<()> {
    writeln!(out, "host: {}", profile.host_line())?;
    let max_t = profile.threads.iter().copied().max().unwrap_or(1);
    let header = [
        "rule".to_string(),
        "n".into(),
        "before".into(),
        "after".into(),
        "speedup@1".into(),
        format!("speedup@{max_t}"),
        format!("scaling@{max_t} before→after"),
        "GIL kept before→after".into(),
        "check".into(),
    ];
    let mut rows = vec![header.to_vec()];
    for r in &profile.results {
        rows.push(row(r, max_t));
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
        if i == 0 {
            writeln!(out, "{}", widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "))?;
        }
    }
    Ok(())
}

fn row(r: &KernelResult, max_t: u32) -> Vec<String> {
    let n = r.size.map_or("-".into(), |n| n.to_string());
    if r.check != "ok" {
        let why = r.error.clone().unwrap_or_default();
        return vec![
            r.rule.clone(),
            n,
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            format!("{} {why}", r.check),
        ];
    }
    let (before, after) =
        r.single.as_ref().map_or(("-".into(), "-".into()), |s| (duration(s.before_s), duration(s.after_s)));
    let sp = |t: u32| r.speedup.get(&t.to_string()).map_or("-".into(), |x| format_speedup(*x));
    let scale =
        |k: &str| r.scaling.get(k).and_then(|m| m.get(&max_t.to_string())).map_or("-".into(), |x| format!("{x:.2}"));
    let by = |k: &str| r.bystander.get(k).map_or("-".into(), |x| format!("{x:.2}"));
    vec![
        r.rule.clone(),
        n,
        before,
        after,
        sp(1),
        sp(max_t),
        format!("{} → {}", scale("before"), scale("after")),
        format!("{} → {}", by("before"), by("after")),
        "ok".into(),
    ]
}

/// Before/after throughput against thread count, one panel per rule (largest size measured).
pub fn plot(path: &std::path::Path, profile: &HostProfile) -> Result<(), String> {
    let mut rules: Vec<&KernelResult> = Vec::new();
    for r in profile.results.iter().filter(|r| r.check == "ok" && r.pool.is_some()) {
        match rules.iter_mut().find(|x| x.rule == r.rule) {
            Some(x) if x.size < r.size => *x = r,
            Some(_) => {}
            None => rules.push(r),
        }
    }
    if rules.is_empty() {
        return Err("nothing to plot: no kernel produced throughput figures".into());
    }
    let cols = 3usize;
    let rows = rules.len().div_ceil(cols);
    let root = SVGBackend::new(path, (360 * cols as u32, 260 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((rows, cols));
    for (panel, r) in panels.iter().zip(rules) {
        let pool = r.pool.as_ref().ok_or("no pool figures")?;
        let series = |k: &str| -> Vec<(u32, f64)> {
            let mut v: Vec<(u32, f64)> = pool
                .get(k)
                .map(|m| m.iter().filter_map(|(t, x)| Some((t.parse().ok()?, *x))).collect())
                .unwrap_or_default();
            v.sort_by_key(|p| p.0);
            v
        };
        let (b, a) = (series("before"), series("after"));
        let max_t = b.iter().chain(&a).map(|p| p.0).max().unwrap_or(1).max(2);
        let ys: Vec<f64> = b.iter().chain(&a).map(|p| p.1).filter(|y| *y > 0.0).collect();
        let (lo, hi) =
            (ys.iter().cloned().fold(f64::MAX, f64::min) / 2.0, ys.iter().cloned().fold(0.0, f64::max) * 2.0);
        let title = format!("{} (n={})", r.rule, r.size.unwrap_or(0));
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(52)
            .build_cartesian_2d(1u32..max_t, (lo.max(1e-3)..hi.max(1.0)).log_scale())
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_desc("threads").y_desc("tasks/s").draw().map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(b, &RED))
            .map_err(|e| e.to_string())?
            .label("before")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        chart
            .draw_series(LineSeries::new(a, &BLUE))
            .map_err(|e| e.to_string())?
            .label("after")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
        chart.configure_series_labels().border_style(BLACK).draw().map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}
