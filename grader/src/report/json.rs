//! The grader's own JSON (schema: `grader/schemas/report.schema.json`).

use super::Report;
use serde_json::{Value, json};

pub fn report(r: &Report) -> Value {
    json!({
        "schema": "async-rust-grader-report/1",
        "target": r.target,
        "score": r.score(),
        "max_score": r.max_score(),
        "passed": r.graded_steps_pass(),
        "execution_time": r.seconds,
        "steps": r.steps.iter().map(|s| json!({
            "step": s.step.name,
            "slide": s.step.slide,
            "graded": s.step.graded(),
            "status": s.status.key(),
            "score": s.score,
            "max_score": s.step.points(),
            "hint": s.first_failure().map_or("", |c| c.hint()),
            "checks": s.checks.iter().map(|c| json!({
                "name": c.name(),
                "passed": c.outcome.passed(),
                "status": c.outcome.key(),
                "message": c.message(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
