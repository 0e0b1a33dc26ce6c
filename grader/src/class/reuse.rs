//! The step files of a class graded once each: many students hand in a
//! step untouched (its starter), a demo as it was given, or the same file
//! as another. A step's checks read only that step's file, so its outcomes
//! are those of any other file with the same text, byte for byte.
//!
//! A grading claims the files not graded yet, grades them, and records
//! their outcomes; a file another grading has claimed is waited for. No
//! grading waits before it has graded its own claims, so none waits for
//! another that waits for it. A grading that fails gives its claims up,
//! and the next that needs one grades it.

use crate::outcome::Outcome;
use crate::step::{Check, Step};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// A step and its file's text (`None`: it has none).
type Key = (&'static Step, Option<String>);

type Outcomes = Vec<(&'static Check, Outcome)>;

enum Slot {
    Grading,
    Done(Outcomes),
}

/// The outcomes of the step files graded so far in a class.
#[derive(Default)]
pub(crate) struct Graded {
    slots: Mutex<HashMap<Key, Slot>>,
    changed: Condvar,
}

/// What a grading must do for the files it holds.
pub(crate) struct Claimed {
    /// Outcomes already known.
    pub(crate) known: Outcomes,
    /// Steps whose files are this grading's to grade.
    pub(crate) mine: Vec<&'static Step>,
    /// Files another grading grades now.
    pub(crate) waiting: Vec<Key>,
}

impl Graded {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the files not graded yet: the caller grades them, then says
    /// so with [`Graded::done`] or [`Graded::give_up`].
    pub(crate) fn claim(&self, files: &[Key]) -> Claimed {
        let mut slots = self.lock();
        let mut claimed = Claimed {
            known: Vec::new(),
            mine: Vec::new(),
            waiting: Vec::new(),
        };
        for key in files {
            match slots.get(key) {
                Some(Slot::Done(outcomes)) => claimed.known.extend(outcomes.iter().cloned()),
                Some(Slot::Grading) => claimed.waiting.push(key.clone()),
                None => {
                    slots.insert(key.clone(), Slot::Grading);
                    claimed.mine.push(key.0);
                }
            }
        }
        claimed
    }

    /// Records the outcomes of the files graded, from a grading's outcomes.
    pub(crate) fn done(&self, files: &[Key], outcomes: &Outcomes) {
        let mut slots = self.lock();
        for key in files {
            let of_step = outcomes
                .iter()
                .filter(|(c, _)| c.step == key.0)
                .cloned()
                .collect();
            slots.insert(key.clone(), Slot::Done(of_step));
        }
        self.changed.notify_all();
    }

    /// Gives up the files claimed: the next grading that needs one grades it.
    pub(crate) fn give_up(&self, files: &[Key]) {
        let mut slots = self.lock();
        for key in files {
            if matches!(slots.get(key), Some(Slot::Grading)) {
                slots.remove(key);
            }
        }
        self.changed.notify_all();
    }

    /// Waits until the file is graded (its outcomes), or given up (`None`).
    pub(crate) fn wait(&self, key: &Key) -> Option<Outcomes> {
        let mut slots = self.lock();
        loop {
            match slots.get(key) {
                Some(Slot::Done(outcomes)) => return Some(outcomes.clone()),
                Some(Slot::Grading) => {
                    slots = self.changed.wait(slots).unwrap_or_else(|e| e.into_inner());
                }
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    fn step(name: &str) -> &'static Step {
        crate::catalogue::find(name).unwrap()
    }

    fn names(steps: &[&'static Step]) -> Vec<&'static str> {
        steps.iter().map(|s| s.name).collect()
    }

    fn of(step: &str) -> Outcomes {
        registry::of_step(step)
            .map(|c| (c, Outcome::Passed))
            .collect()
    }

    #[test]
    fn a_file_is_graded_once_and_its_outcomes_reused() {
        let graded = Graded::default();
        let alice = [
            (step("echo-thread"), Some("fn main() {}".to_string())),
            (step("mutex-send"), None),
        ];
        let first = graded.claim(&alice);
        assert_eq!(names(&first.mine), ["echo-thread", "mutex-send"]);
        // Bob's echo-thread is Alice's: he waits for it; his own mutex-send
        // differs from hers, and is his to grade.
        let bob = [
            (step("echo-thread"), Some("fn main() {}".to_string())),
            (step("mutex-send"), Some("// bob's".to_string())),
        ];
        let second = graded.claim(&bob);
        assert_eq!(names(&second.mine), ["mutex-send"]);
        assert_eq!(second.waiting, [bob[0].clone()]);
        let mut outcomes = of("echo-thread");
        outcomes.extend(of("mutex-send"));
        graded.done(&alice, &outcomes);
        let reused = graded.wait(&bob[0]).unwrap();
        assert_eq!(reused.len(), of("echo-thread").len());
        assert!(reused.iter().all(|(c, _)| c.step.name == "echo-thread"));
        assert_eq!(graded.claim(&alice).known.len(), outcomes.len());
    }

    #[test]
    fn a_file_given_up_is_graded_by_the_next() {
        let graded = Graded::default();
        let file = [(step("echo-thread"), Some("// killer".to_string()))];
        assert_eq!(names(&graded.claim(&file).mine), ["echo-thread"]);
        graded.give_up(&file);
        assert!(graded.wait(&file[0]).is_none());
        assert_eq!(names(&graded.claim(&file).mine), ["echo-thread"]);
    }
}
