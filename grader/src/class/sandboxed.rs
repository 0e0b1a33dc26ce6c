//! One submission's steps, built in the build sandbox, then graded by this
//! grader run again (`--grade-prebuilt PLAN`) in the grading sandbox
//! (`exec::sandbox`), which hands the outcomes back on a pipe that no step
//! reaches (`exec::handback`).

use crate::build::{Built, built_from_json, built_to_json};
use crate::error::Error;
use crate::exec::sandbox::Role;
use crate::exec::{self, Bound};
use crate::outcome::Outcome;
use crate::registry;
use crate::session::{Session, default_workers};
use crate::settings::Settings;
use crate::step::{Check, Step};
use crate::target::Target;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long the grading of one submission may take, all its checks
/// together, once it is built: far more than a right one needs (seconds),
/// or one whose every step hangs (under a minute).
const SUBMISSION_LIMIT: Duration = Duration::from_secs(5 * 60);

/// What the grading in the sandbox is to grade: the steps, where their
/// files are, and what was built of them (their bins, their harnesses',
/// the checks of their unsafe code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) dir: PathBuf,
    pub(crate) steps: Vec<&'static Step>,
    pub(crate) bins: HashMap<String, Built>,
}

impl Plan {
    pub(crate) fn to_json(&self) -> Value {
        let bins: serde_json::Map<String, Value> = self
            .bins
            .iter()
            .map(|(bin, built)| (bin.clone(), built_to_json(built)))
            .collect();
        let steps: Vec<&str> = self.steps.iter().map(|s| s.name).collect();
        json!({"dir": self.dir, "steps": steps, "bins": bins})
    }

    pub(crate) fn from_json(value: &Value) -> Option<Plan> {
        let steps = value["steps"]
            .as_array()?
            .iter()
            .map(|s| crate::catalogue::find(s.as_str()?))
            .collect::<Option<Vec<_>>>()?;
        let bins = value["bins"]
            .as_object()?
            .iter()
            .map(|(bin, built)| Some((bin.clone(), built_from_json(built)?)))
            .collect::<Option<HashMap<_, _>>>()?;
        Some(Plan {
            dir: PathBuf::from(value["dir"].as_str()?),
            steps,
            bins,
        })
    }
}

/// Builds the `steps` of `target` here (in the build sandbox, if the
/// settings have one), then grades them in a grader of their own (in the
/// grading sandbox), with `scratch` as the one folder its steps may write to.
pub(crate) fn grade(
    target: &Target,
    steps: &[&'static Step],
    settings: &Settings,
    scratch: &Path,
) -> Result<Vec<(&'static Check, Outcome)>, Error> {
    let session = Session::new(target.clone(), settings.clone());
    session.build_steps(steps);
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(Error::io("make", scratch))?;
    let plan = Plan {
        dir: target.dir.clone(),
        steps: steps.to_vec(),
        bins: session.builds(),
    };
    let plan_file = scratch.join("plan.json");
    std::fs::write(&plan_file, plan.to_json().to_string())
        .map_err(Error::io("write", &plan_file))?;
    // What the grading in the sandbox may read of the grader's folders: the
    // submission's own step files and bins.
    let readable: Vec<PathBuf> = plan
        .bins
        .values()
        .filter_map(|built| Some(built.as_ref().ok()?.path.clone()))
        .filter(|path| !path.as_os_str().is_empty())
        .chain([target.dir.clone()])
        .collect();
    let readable: Vec<&Path> = readable.iter().map(PathBuf::as_path).collect();
    let user = exec::sandbox::grading_user();
    exec::sandbox::hand_over(scratch, user).map_err(Error::io("hand to the sandbox", scratch))?;

    let exe = std::env::current_exe().map_err(Error::io("find", "the grader's executable"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--grade-prebuilt")
        .arg(&plan_file)
        .env("GRADER_SCRATCH", scratch);
    match &settings.builds.sandbox {
        Some(sandbox) => cmd = sandbox.wrap(cmd, Role::Grade(user), &[scratch], &readable),
        // Unconfined, as root: the steps run as a user of the submission's
        // own, never as root (`main` refused a grading they cannot reach).
        None => {
            cmd.env("GRADER_STEPS_AS_NOBODY", "1")
                .env(exec::sandbox::STEPS_USER, user.to_string());
        }
    }
    // Never a file the steps could write: see `exec::handback`.
    #[cfg(unix)]
    let incoming =
        exec::handback::attach(&mut cmd).map_err(Error::io("make", "a pipe for the grading"))?;
    let run = exec::run_command(cmd, "the grading", SUBMISSION_LIMIT, Bound::LOG)?;
    #[cfg(unix)]
    let sent = incoming.received(Duration::from_secs(5));
    #[cfg(not(unix))]
    let sent = std::fs::read(scratch.join("outcomes.json")).unwrap_or_default();
    let outcomes = serde_json::from_slice::<Value>(&sent)
        .ok()
        .and_then(|v| outcomes_from_json(&v));
    if let Some(outcomes) = outcomes {
        return Ok(outcomes);
    }
    let why = if run.timed_out() {
        format!(
            "its grading did not end within {} minutes",
            SUBMISSION_LIMIT.as_secs() / 60
        )
    } else {
        // Killed or stopped by what it graded, most likely.
        let how = run
            .end
            .map(|e| exec::describe(&e.status))
            .unwrap_or_default();
        format!("its grading ended ({how}) without its outcomes")
    };
    let stderr = run.stderr.text();
    Err(Error::said(
        match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{why}: {last}"),
            None => why,
        },
    ))
}

fn outcomes_to_json(outcomes: &[(&'static Check, Outcome)]) -> Value {
    outcomes
        .iter()
        .map(|(c, o)| json!({"check": c.full_name(), "outcome": o.to_json()}))
        .collect()
}

fn outcomes_from_json(value: &Value) -> Option<Vec<(&'static Check, Outcome)>> {
    value
        .as_array()?
        .iter()
        .map(|row| {
            let check = registry::by_full_name(row["check"].as_str()?)?;
            Some((check, Outcome::from_json(&row["outcome"])?))
        })
        .collect()
}

/// `--grade-prebuilt PLAN`: the grading of one submission, in its sandbox:
/// every check of the plan's steps, on the bins it names, the outcomes
/// handed back.
pub fn grade_prebuilt(plan: &Path, settings: Settings) -> Result<(), Error> {
    let text = std::fs::read_to_string(plan).map_err(Error::io("read", plan))?;
    let plan = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| Plan::from_json(&v))
        .ok_or_else(|| Error::format(plan.display(), "not a plan of the grader's"))?;
    #[cfg(unix)]
    let channel = exec::handback::take()
        .ok_or_else(|| Error::said("no channel to hand the outcomes back on"))?;
    if settings.sandboxed {
        exec::sandbox::guard_memory(settings.sandbox_memory);
    }
    #[cfg(not(unix))]
    let out = settings
        .scratch
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("outcomes.json");
    let session = Session::prebuilt(
        Target::files(&plan.dir, "the submission"),
        settings,
        plan.bins,
    );
    let checks: Vec<&'static Check> = registry::all()
        .iter()
        .filter(|c| plan.steps.contains(&c.step))
        .collect();
    let outcomes = session.run(&checks, default_workers(), &|_, _| {});
    let sent = outcomes_to_json(&outcomes).to_string();
    #[cfg(unix)]
    {
        use std::io::Write;
        let mut channel = channel;
        channel
            .write_all(sent.as_bytes())
            .map_err(Error::io("write", "the outcomes' channel"))
    }
    #[cfg(not(unix))]
    {
        std::fs::write(&out, sent).map_err(Error::io("write", &out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{Exe, NotBuilt};

    #[test]
    fn a_plan_crosses_unchanged() {
        let plan = Plan {
            dir: PathBuf::from("/class/x/steps"),
            steps: ["echo-thread", "mutex-send"]
                .map(|s| crate::catalogue::find(s).unwrap())
                .to_vec(),
            bins: HashMap::from([
                (
                    "echo-thread".to_string(),
                    Ok(Exe {
                        path: PathBuf::from("/out/echo-thread"),
                        warnings: vec!["warning: unused".to_string()],
                    }),
                ),
                (
                    "mutex-send".to_string(),
                    Err(NotBuilt::DoesNotCompile("error[E0277]".to_string())),
                ),
                (
                    "safety-mutex-send".to_string(),
                    Err(NotBuilt::Refused(
                        "line 3: usage of an `unsafe` block".to_string(),
                    )),
                ),
            ]),
        };
        assert_eq!(Plan::from_json(&plan.to_json()), Some(plan));
    }

    #[test]
    fn outcomes_cross_unchanged() {
        let outcomes: Vec<(&'static Check, Outcome)> = registry::all()
            .iter()
            .take(3)
            .zip([
                Outcome::Passed,
                Outcome::NotRun(crate::outcome::CheckId(0)),
                Outcome::Failed(crate::Failure::new("no echo")),
            ])
            .collect();
        let back = outcomes_from_json(&outcomes_to_json(&outcomes)).unwrap();
        assert_eq!(back.len(), 3);
        for ((c, o), (c2, o2)) in outcomes.iter().zip(&back) {
            assert!(std::ptr::eq(*c, *c2));
            assert_eq!(o, o2);
        }
    }
}
