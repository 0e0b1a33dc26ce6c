//! A class's grades as a spreadsheet: a row per submission, a column per
//! graded step (its points), the total, and what to fix first.

use crate::catalogue::STEPS;
use crate::report::Report;

/// The sheet's first row: the submission, a column per graded step (its
/// points), the total, and what to fix first.
pub fn header() -> Vec<String> {
    let mut row = vec!["submission".to_string()];
    for step in STEPS.iter().filter(|s| s.graded()) {
        row.push(format!("{} ({})", step.name, step.points()));
    }
    let max: u32 = STEPS.iter().map(|s| s.points()).sum();
    row.push(format!("total ({max})"));
    row.push("first to fix".to_string());
    row.push("skipped".to_string());
    row
}

/// A graded submission's row.
pub fn row(name: &str, report: &Report) -> Vec<String> {
    let mut row = vec![as_text(name)];
    for step in STEPS.iter().filter(|s| s.graded()) {
        let score = report.step(step.name).map_or(0, |r| r.score);
        row.push(score.to_string());
    }
    row.push(report.score().to_string());
    row.push(match report.first_to_fix() {
        None => String::new(),
        Some(step) => match step.first_failure() {
            Some(check) => format!(
                "{} ({}): {}",
                step.step.name,
                step.status.words(),
                check.name()
            ),
            None => format!("{} ({})", step.step.name, step.status.words()),
        },
    });
    // Checks this machine could not make: never a pass, never hidden.
    let skipped: Vec<String> = report
        .steps
        .iter()
        .flat_map(|s| s.skipped())
        .map(|c| {
            format!(
                "{} ({})",
                c.name(),
                crate::report::reason(&c.outcome).unwrap_or_default()
            )
        })
        .collect();
    row.push(skipped.join("; "));
    row
}

/// The row of a submission that could not be graded: no points, and why.
pub(crate) fn row_not_graded(name: &str, why: &str) -> Vec<String> {
    let mut row = vec![as_text(name)];
    row.extend(STEPS.iter().filter(|s| s.graded()).map(|_| String::new()));
    row.push(String::new());
    row.push(format!("not graded: {why}"));
    row.push(String::new());
    row
}

/// A submission's name as a cell a spreadsheet shows as text: one that
/// starts as a formula does (`=HYPERLINK(...)`, `@SUM(...)`, `+`, `-`) is
/// led by a `'`, as spreadsheets read it, so that a folder's name runs
/// nothing on the tutor's machine.
fn as_text(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

/// The rows as CSV, quoted where a field needs it.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("the fields are text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_the_header_s_width_and_fields_are_quoted() {
        let width = header().len();
        assert_eq!(width, STEPS.iter().filter(|s| s.graded()).count() + 4);
        let not_graded = row_not_graded("o'brien, pat", "no exercises crate");
        assert_eq!(not_graded.len(), width);
        let text = csv(&[header(), not_graded]);
        let second = text.lines().nth(1).unwrap();
        assert!(second.starts_with("\"o'brien, pat\","), "{second}");
        assert!(
            second.ends_with(",not graded: no exercises crate,"),
            "{second}"
        );
    }

    #[test]
    fn a_name_that_starts_as_a_formula_is_text() {
        assert_eq!(as_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(as_text("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(as_text("ada-lovelace"), "ada-lovelace");
        assert_eq!(row_not_graded("+1", "why")[0], "'+1");
    }
}
