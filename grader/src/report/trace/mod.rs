//! A traced run of a step, drawn (`cargo run -p grader -- trace <step>`): a
//! lane per task, each poll with what it returned, each wake with who woke
//! it, and where the executor waited, as the slide "Lifecycle of a Task"
//! draws them; and what of it is wrong: a `Pending` that no wake follows,
//! polls with no wake between them, a wake that reaches an old waker.
//!
//! - `svg`: the picture, one self-contained SVG file;
//! - here: what the events say, and the same as a text timeline.

mod svg;

pub(crate) use svg::svg;

use crate::protocol::{Event, What};

/// What a run's events show that is wrong, each at its event.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Findings {
    /// Events (by index) that are a task's last poll, `Pending`, with no
    /// wake of it after: nothing will ever poll it again.
    pub(crate) lost: Vec<usize>,
    /// Polls that came with no wake since the task's poll before (and no
    /// `Ready` in between): the executor polls what nobody woke.
    pub(crate) unwoken: Vec<usize>,
    /// Wakes of a waker older than the task's latest poll's.
    pub(crate) stale: Vec<usize>,
    /// Spans (first event, last event) in which the executor waited: no
    /// task was polled, and what came next was woken from outside.
    pub(crate) parked: Vec<(usize, usize)>,
    /// Tasks spawned (the event that says so) and never polled.
    pub(crate) never_polled: Vec<usize>,
}

/// The lane a wake comes from: who woke it (`task 3, as it ended` is task
/// 3's; `itself` is the woken task's own).
pub(crate) fn waker_lane(event: &Event) -> Option<String> {
    let What::Wake { by, .. } = &event.what else {
        return None;
    };
    Some(match by.as_str() {
        "itself" => event.lane.clone(),
        by => by.strip_suffix(", as it ended").unwrap_or(by).to_string(),
    })
}

/// Who woke from outside the executor: its wakes end a wait.
fn from_outside(by: &str) -> bool {
    !(by == "itself"
        || by == "the executor"
        || by.starts_with("task")
        || by == "main"
        || by.ends_with(", as it ended"))
}

pub(crate) fn findings(events: &[Event]) -> Findings {
    let mut found = Findings::default();
    // Per lane: its latest poll (number, event), and whether a wake came
    // after it.
    let mut latest: Vec<(&str, u32, usize, bool, bool)> = Vec::new();
    let mut last_poll_at: Option<usize> = None;
    // Lanes spawned and not polled yet: the event that says so.
    let mut unpolled: Vec<(&str, usize)> = Vec::new();
    let mut idle_since: Option<usize> = None;
    for (i, event) in events.iter().enumerate() {
        let lane = event.lane.as_str();
        let at = latest.iter().position(|l| l.0 == lane);
        match &event.what {
            What::Poll { n, ready } => {
                unpolled.retain(|(l, _)| *l != lane);
                if let Some(at) = at {
                    let (_, _, _, woken, was_ready) = latest[at];
                    if !woken && !was_ready {
                        found.unwoken.push(i);
                    }
                    latest[at] = (lane, *n, i, false, *ready);
                } else {
                    latest.push((lane, *n, i, false, *ready));
                }
                if let Some(since) = idle_since.take() {
                    found.parked.push((since, i));
                }
                last_poll_at = Some(i);
            }
            What::Wake { of_poll, by } => {
                if let Some(at) = at {
                    latest[at].3 = true;
                    if *of_poll < latest[at].1 {
                        found.stale.push(i);
                    }
                }
                if from_outside(by) && idle_since.is_none() {
                    idle_since = last_poll_at;
                }
            }
            // A lane that starts again (another `block_on`): its life
            // before is over.
            What::Note(note) => {
                if note == "spawned" {
                    unpolled.push((lane, i));
                }
                if let Some(at) = at {
                    let (_, _, poll, woken, ready) = latest.remove(at);
                    if !woken && !ready {
                        found.lost.push(poll);
                    }
                }
            }
        }
    }
    for (_, _, at, woken, ready) in latest {
        if !woken && !ready {
            found.lost.push(at);
        }
    }
    found.lost.sort();
    found.never_polled = unpolled.into_iter().map(|(_, i)| i).collect();
    found
}

/// The events as a timeline for the terminal, each wrong one marked.
pub(crate) fn timeline(events: &[Event]) -> String {
    let found = findings(events);
    let mut out = String::new();
    for (i, event) in events.iter().enumerate() {
        out.push_str(&event.line());
        if found.lost.contains(&i) {
            out.push_str("   <- Pending, and never woken again: it is never polled again");
        } else if found.unwoken.contains(&i) {
            out.push_str("   <- polled again, though nothing woke it");
        } else if found.never_polled.contains(&i) {
            out.push_str("   <- never polled: its wake at spawn was lost");
        } else if found.stale.contains(&i) {
            out.push_str("   <- an old waker: the task was polled with a newer one since");
        }
        out.push('\n');
        if found.parked.iter().any(|(since, _)| *since == i) {
            // As the picture's grey box: where it waited, between two events.
            out.push_str(&format!(
                "{:12}  {:<14} parked: nothing to poll, until a wake\n",
                "", "the executor"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(lane: &str, n: u32, ready: bool) -> Event {
        Event {
            at_us: 0,
            lane: lane.to_string(),
            what: What::Poll { n, ready },
        }
    }

    fn wake(lane: &str, of_poll: u32, by: &str) -> Event {
        Event {
            at_us: 0,
            lane: lane.to_string(),
            what: What::Wake {
                of_poll,
                by: by.to_string(),
            },
        }
    }

    #[test]
    fn a_right_run_shows_nothing_wrong_and_where_the_executor_waited() {
        let events = [
            poll("main", 1, false),
            poll("task 1", 1, false),
            wake("task 1", 1, "the timer"),
            poll("task 1", 2, true),
            wake("main", 1, "task 1, as it ended"),
            poll("main", 2, true),
        ];
        let found = findings(&events);
        assert_eq!(found.lost, Vec::<usize>::new());
        assert_eq!(found.unwoken, Vec::<usize>::new());
        assert_eq!(found.stale, Vec::<usize>::new());
        assert_eq!(found.parked, [(1, 3)]);
        let timeline = timeline(&events);
        let lines: Vec<&str> = timeline.lines().collect();
        assert!(lines[2].contains("the executor") && lines[2].contains("parked"));
        assert!(lines[3].contains("woken by the timer"), "{timeline}");
    }

    #[test]
    fn a_lost_wake_ends_in_a_pending_that_no_wake_follows() {
        let events = [
            poll("task 1", 1, false),
            poll("task 2", 1, false),
            wake("task 2", 1, "the timer"),
            poll("task 2", 2, true),
        ];
        let found = findings(&events);
        assert_eq!(found.lost, [0]);
        assert!(
            timeline(&events)
                .lines()
                .next()
                .unwrap()
                .contains("never woken again")
        );
    }

    #[test]
    fn polls_with_no_wake_between_and_old_wakers_are_marked() {
        let events = [
            poll("task 1", 1, false),
            poll("task 1", 2, false),
            wake("task 1", 1, "the reactor"),
            poll("task 1", 3, true),
        ];
        let found = findings(&events);
        assert_eq!(found.unwoken, [1]);
        assert_eq!(found.stale, [2]);
    }
}
