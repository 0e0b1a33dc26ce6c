//! The class's picture for the tutor (`--batch DIR --summary FILE.html`):
//! one page, for a browser without a network, that says for each step how
//! many passed, and which first failures were the most common, with their
//! counts and the hint they show, as bars: what the next tutorial can
//! speak to.

use crate::report::Report;
use crate::step::{Check, Step};

/// How many of a step's most common first failures the page shows.
const MOST: usize = 6;

/// A step, across the class.
#[derive(Debug)]
pub(crate) struct StepSummary {
    pub(crate) step: &'static Step,
    /// Submissions graded, and how many of them passed the step (a demo:
    /// showed its flaw).
    pub(crate) graded: usize,
    pub(crate) passed: usize,
    /// Its first failures, the most common first: the check, and how many
    /// submissions failed it first.
    pub(crate) failures: Vec<(&'static Check, usize)>,
}

/// The class, summed up.
#[derive(Debug)]
pub(crate) struct Summary {
    pub(crate) submissions: usize,
    /// The submissions not graded, and why.
    pub(crate) not_graded: Vec<(String, String)>,
    pub(crate) steps: Vec<StepSummary>,
}

/// Sums up each submission's report, or why it was not graded.
pub(crate) fn summarise(graded: &[(&str, Result<&Report, String>)]) -> Summary {
    let reports: Vec<&Report> = graded
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().copied())
        .collect();
    let steps = crate::catalogue::STEPS
        .iter()
        .map(|step| {
            let results: Vec<_> = reports.iter().filter_map(|r| r.step(step.name)).collect();
            let mut failures: Vec<(&'static Check, usize)> = Vec::new();
            for result in results.iter().filter(|s| !s.status.is_good()) {
                if let Some(first) = result.first_failure() {
                    match failures.iter_mut().find(|(c, _)| c.id == first.check.id) {
                        Some((_, n)) => *n += 1,
                        None => failures.push((first.check, 1)),
                    }
                }
            }
            // The most common first; a tie in the step's own order.
            failures.sort_by_key(|(c, n)| (usize::MAX - n, c.id));
            StepSummary {
                step,
                graded: results.len(),
                passed: results.iter().filter(|s| s.status.is_good()).count(),
                failures,
            }
        })
        .collect();
    Summary {
        submissions: graded.len(),
        not_graded: graded
            .iter()
            .filter_map(|(name, r)| Some((name.to_string(), r.as_ref().err()?.clone())))
            .collect(),
        steps,
    }
}

/// Text made safe in HTML.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar of `n` out of `of`, `width` pixels at full, with its label.
fn bar(n: usize, of: usize, width: usize, colour: &str, label: &str) -> String {
    let filled = (width * n).checked_div(of).unwrap_or(0);
    format!(
        "<svg class=\"bar\" width=\"{}\" height=\"18\" role=\"img\" aria-label=\"{}\"><rect width=\"{width}\" height=\"14\" y=\"2\" fill=\"#f1f5f9\"/><rect width=\"{filled}\" height=\"14\" y=\"2\" fill=\"{colour}\"/><text x=\"{}\" y=\"13\" font-size=\"11\" font-family=\"sans-serif\">{}</text></svg>",
        width + 90,
        text(label),
        width + 6,
        text(label)
    )
}

/// The class at a glance: a bar per step, how many passed it; a picture
/// of its own, for the page and for the tutors' guide.
pub(crate) fn overview_svg(summary: &Summary) -> String {
    let row = 26;
    let height = 40 + row * summary.steps.len();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"overview\" width=\"680\" height=\"{height}\" viewBox=\"0 0 680 {height}\" font-family=\"sans-serif\" font-size=\"12\"><rect width=\"680\" height=\"{height}\" fill=\"white\"/><text x=\"10\" y=\"22\" font-weight=\"bold\">{} submissions: how many passed each step</text>",
        summary.submissions
    );
    for (i, s) in summary.steps.iter().enumerate() {
        let y = 36 + row * i;
        let filled = (360 * s.passed).checked_div(s.graded).unwrap_or(0);
        let word = if s.step.graded() {
            "passed"
        } else {
            "flaw shown"
        };
        out.push_str(&format!(
            "<g class=\"step\" data-step=\"{0}\" data-passed=\"{1}\" data-graded=\"{2}\"><text x=\"10\" y=\"{3}\">{0}</text><rect x=\"160\" y=\"{4}\" width=\"360\" height=\"16\" fill=\"#f1f5f9\"/><rect x=\"160\" y=\"{4}\" width=\"{5}\" height=\"16\" fill=\"{6}\"/><text x=\"528\" y=\"{3}\">{1}/{2} {7}</text></g>",
            s.step.name,
            s.passed,
            s.graded,
            y + 12,
            y,
            filled,
            if s.step.graded() { "#22c55e" } else { "#94a3b8" },
            word
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// The page.
pub(crate) fn html(summary: &Summary) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>The class, step by step</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#1e293b}h2{margin-top:2em;border-bottom:1px solid #e2e8f0}table{border-collapse:collapse;width:100%}td{padding:4px 8px;vertical-align:top;border-bottom:1px solid #f1f5f9}td.hint{color:#475569;font-size:90%}code{background:#f1f5f9;padding:0 3px}</style></head><body>\n",
    );
    out.push_str(&format!(
        "<h1>The class, step by step</h1>\n<p>{} submissions, {} graded.</p>\n",
        summary.submissions,
        summary.submissions - summary.not_graded.len()
    ));
    out.push_str(&overview_svg(summary));
    for s in &summary.steps {
        out.push_str(&format!(
            "<section class=\"step\" data-step=\"{0}\" data-passed=\"{1}\" data-graded=\"{2}\"><h2>{0}</h2>\n<p>{3}</p>\n",
            s.step.name,
            s.passed,
            s.graded,
            bar(
                s.passed,
                s.graded,
                300,
                "#22c55e",
                &format!(
                    "{}/{} {}",
                    s.passed,
                    s.graded,
                    if s.step.graded() { "passed" } else { "showed the flaw" }
                )
            )
        ));
        if !s.failures.is_empty() {
            out.push_str(
                "<p>The most common first failures, and the hint they show:</p>\n<table>\n",
            );
            for (check, n) in s.failures.iter().take(MOST) {
                out.push_str(&format!(
                    "<tr class=\"failure\" data-check=\"{}\" data-count=\"{n}\"><td><code>{}</code></td><td>{}</td><td class=\"hint\">{}</td></tr>\n",
                    check.full_name(),
                    check.name,
                    bar(*n, s.graded, 160, "#f97316", &n.to_string()),
                    text(check.hints[0])
                ));
            }
            out.push_str("</table>\n");
        }
        out.push_str("</section>\n");
    }
    if !summary.not_graded.is_empty() {
        out.push_str("<h2>Not graded</h2>\n<table>\n");
        for (name, why) in &summary.not_graded {
            out.push_str(&format!(
                "<tr class=\"not-graded\"><td>{}</td><td>{}</td></tr>\n",
                text(name),
                text(why)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::registry;

    /// A report whose every check of `steps` passed, but `failing`'s.
    fn report(failing: &[&str]) -> Report {
        let outcomes = registry::all()
            .iter()
            .filter(|c| ["echo-thread", "mutex-send"].contains(&c.step.name))
            .map(|c| {
                let outcome = if failing.contains(&c.full_name().as_str()) {
                    Outcome::Failed(crate::Failure::new("no"))
                } else {
                    Outcome::Passed
                };
                (c, outcome)
            })
            .collect();
        Report::new("someone", outcomes, 0.0)
    }

    #[test]
    fn a_class_is_counted_step_by_step_with_its_first_failures() {
        let right = report(&[]);
        let one_line = report(&["echo_thread::one_line", "echo_thread::crlf_kept"]);
        let one_line_too = report(&["echo_thread::one_line"]);
        let reset = report(&[
            "echo_thread::survives_a_client_reset",
            "mutex_send::counts_1000_tasks",
        ]);
        let class = [
            ("ada", Ok(&right)),
            ("bo", Ok(&one_line)),
            ("cy", Ok(&one_line_too)),
            ("di", Ok(&reset)),
            ("ed", Err("not graded: a link".to_string())),
        ];
        let summary = summarise(&class);
        assert_eq!(summary.submissions, 5);
        assert_eq!(
            summary.not_graded,
            [("ed".to_string(), "not graded: a link".to_string())]
        );
        let echo = &summary.steps[0];
        assert_eq!(
            (echo.step.name, echo.graded, echo.passed),
            ("echo-thread", 4, 1)
        );
        let failures: Vec<(String, usize)> = echo
            .failures
            .iter()
            .map(|(c, n)| (c.full_name(), *n))
            .collect();
        assert_eq!(
            failures,
            [
                ("echo_thread::one_line".to_string(), 2),
                ("echo_thread::survives_a_client_reset".to_string(), 1)
            ]
        );
        let mutex = summary
            .steps
            .iter()
            .find(|s| s.step.name == "mutex-send")
            .unwrap();
        assert_eq!((mutex.graded, mutex.passed), (4, 3));
        let page = html(&summary);
        assert!(page.contains("data-step=\"echo-thread\" data-passed=\"1\" data-graded=\"4\""));
        assert!(page.contains("data-check=\"echo_thread::one_line\" data-count=\"2\""));
        assert!(page.contains(&text(
            registry::find("echo-thread", "one_line").unwrap().hints[0]
        )));
        // No network: nothing is fetched.
        assert!(!page.contains("http://") || !page.contains("src=\"http"));
        assert!(!page.contains("<script"));
    }
}
