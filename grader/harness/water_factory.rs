// The grader's poll-by-poll harness for `WaterFactory`: a module of a copy of
// the student's task2-struct-final.rs. It builds the factory's futures and
// polls them by hand, in an order it chooses, with a waker that records each
// wake. Where a black-box run catches a wrong factory only when the threads
// happen to interleave badly, this catches it every time.
// It names what it takes of the student's file, and invokes macros by their
// full path: a name of that file must not change what the harness does.
// How it runs and reports: runner.rs.

#[path = "protocol.rs"]
mod protocol;
#[path = "runner.rs"]
mod runner;

use super::WaterFactory;
use runner::{Check, Outcome, run_checks};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};

/// Remembers that a future asked to be polled again.
struct WakeFlag(AtomicBool);

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Atom<'f> {
    name: String,
    /// `None` once the future has completed.
    future: Option<Pin<Box<dyn Future<Output = ()> + 'f>>>,
    woken: Arc<WakeFlag>,
}

/// A factory and the atoms (futures) waiting on it.
struct Lab<'f> {
    factory: &'f WaterFactory,
    atoms: Vec<Atom<'f>>,
    bonds: Rc<RefCell<Vec<String>>>,
    /// Every atom that bonded, taken or not.
    bonded: Vec<String>,
    counts: (usize, usize),
}

impl<'f> Lab<'f> {
    fn new(factory: &'f WaterFactory) -> Self {
        Lab {
            factory,
            atoms: Vec::new(),
            bonds: Rc::default(),
            bonded: Vec::new(),
            counts: (0, 0),
        }
    }

    /// Adds a hydrogen (`'h'`) or oxygen (`'o'`) future; it is polled at
    /// the next `settle`.
    fn add(&mut self, kind: char) {
        let index = if kind == 'h' {
            self.counts.0 += 1;
            self.counts.0 - 1
        } else {
            self.counts.1 += 1;
            self.counts.1 - 1
        };
        let name = ::std::format!("{kind}{index}");
        let (bonds, bonded) = (self.bonds.clone(), name.clone());
        let bond = move || bonds.borrow_mut().push(bonded);
        let future: Pin<Box<dyn Future<Output = ()> + 'f>> = if kind == 'h' {
            Box::pin(self.factory.hydrogen(bond))
        } else {
            Box::pin(self.factory.oxygen(bond))
        };
        self.atoms.push(Atom {
            name,
            future: Some(future),
            woken: Arc::new(WakeFlag(AtomicBool::new(true))),
        });
    }

    fn add_all(&mut self, kinds: &str) {
        kinds.chars().for_each(|k| self.add(k));
    }

    /// Polls every atom that is new or was woken, again and again, until
    /// none is: what an executor would do, with no threads involved.
    fn settle(&mut self) -> Outcome {
        for _round in 0..10_000 {
            let mut polled = false;
            for atom in &mut self.atoms {
                if atom.future.is_none() || !atom.woken.0.swap(false, Ordering::SeqCst) {
                    continue;
                }
                polled = true;
                let waker = Waker::from(atom.woken.clone());
                let mut cx = Context::from_waker(&waker);
                let future = atom.future.as_mut().expect("checked above");
                let _doing = runner::doing(::std::format!(
                    "{} was polled: its `poll` never returned\nlikely: {}",
                    atom.name,
                    BLOCKS_IN_POLL
                ));
                if future.as_mut().poll(&mut cx).is_ready() {
                    atom.future = None;
                }
            }
            if !polled {
                return Ok(());
            }
        }
        Err("the futures keep waking themselves without finishing (a busy loop)".into())
    }

    /// The atoms that bonded since the last call, sorted.
    fn take_bonds(&mut self) -> Vec<String> {
        let mut bonds = std::mem::take(&mut *self.bonds.borrow_mut());
        bonds.sort();
        self.bonded.extend(bonds.iter().cloned());
        bonds
    }

    /// The atoms whose future finished, though they never bonded.
    fn finished_unbonded(&self) -> Vec<String> {
        self.atoms
            .iter()
            .filter(|a| a.future.is_none() && !self.bonded.contains(&a.name))
            .map(|a| a.name.clone())
            .collect()
    }

    fn waiting(&self) -> Vec<String> {
        self.atoms
            .iter()
            .filter(|a| a.future.is_some())
            .map(|a| a.name.clone())
            .collect()
    }

    /// Settles, then expects exactly `expected` to have bonded.
    fn expect_bonds(&mut self, expected: &[&str], after: &str) -> Outcome {
        self.settle()?;
        let bonds = self.take_bonds();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        if bonds == want {
            return Ok(());
        }
        let shown = |v: &[String]| {
            if v.is_empty() {
                "nothing".to_string()
            } else {
                v.join(" ")
            }
        };
        let mut failure = ::std::format!(
            "after: {after}\nexpected to bond: {}\nbonded: {}\nstill waiting: {}",
            shown(&want),
            shown(&bonds),
            shown(&self.waiting())
        );
        if let Some(likely) = likely_cause(&bonds, &want, &self.finished_unbonded()) {
            failure.push_str("\nlikely: ");
            failure.push_str(likely);
        }
        Err(failure)
    }
}

/// A poll that never returns: the thread is held inside it.
const BLOCKS_IN_POLL: &str = "the atom's future blocks its thread inside `poll` (a blocking call in an async fn: std's `Barrier` or `Mutex`, a `thread::sleep`), where it must return Pending and be woken: every atom is polled on one thread here, as on the slide's runtime, so the others can never arrive. The slide's barrier is tokio's, and its `wait()` is awaited.";

/// What the atoms that bonded, against those expected to, say of the
/// mistake, where they say it clearly: an atom that finished without
/// bonding, bonds in a group smaller than a molecule, a molecule with too
/// many of one kind, or a whole molecule that never met.
fn likely_cause(bonded: &[String], want: &[String], unbonded: &[String]) -> Option<&'static str> {
    let h = bonded.iter().filter(|b| b.starts_with('h')).count();
    let o = bonded.iter().filter(|b| b.starts_with('o')).count();
    if !unbonded.is_empty() {
        return Some(
            "an atom's future finished without calling `bond`: every atom of a molecule bonds, each in its own `hydrogen` or `oxygen`, once the barrier lets it through (not only one of them, such as the barrier's leader)",
        );
    }
    if h + o == 0 {
        return (!want.is_empty()).then_some(
            "a whole molecule arrived, and none of it bonded: the three never met at the barrier. Some are held at a semaphore that should have let them in (the hydrogens' gives two permits, the oxygens' one: are they swapped?), or the barrier waits for more than three",
        );
    }
    if (h + o) % 3 != 0 {
        return Some(
            "atoms bonded without waiting for a whole molecule at the barrier: `bond()` is called before the barrier's `wait()`, or the `wait()` is not awaited (a future does nothing until it is awaited, and `let _ = ...wait()` drops it unpolled: the slide's Step 4), or the barrier waits for fewer than three",
        );
    }
    if h > 2 * o {
        return Some(
            "more than two hydrogens got past the hydrogens' semaphore at once: each permit is let go as soon as it is taken (`let _ = ...acquire().await` drops it on that line, where a named binding such as `_permit` keeps it until the end of the function: the slide's Step 5), or the semaphore gives more than two permits, or the barrier comes before the semaphore (then any three atoms meet at it, three hydrogens too: the permit is taken first, and held through the barrier and the bond)",
        );
    }
    if 2 * o > h {
        return Some(
            "more than one oxygen got past the oxygens' semaphore at once: each permit is let go as soon as it is taken (`let _ = ...acquire().await` drops it on that line, where a named binding such as `_permit` keeps it until the end of the function: the slide's Step 5), or the semaphore gives more than one permit, or the barrier comes before the semaphore (then any three atoms meet at it, two oxygens too: the permit is taken first, and held through the barrier and the bond)",
        );
    }
    None
}

fn alone_waits() -> Outcome {
    let _runtime = enter();
    let f = &WaterFactory::new();
    let mut lab = Lab::new(f);
    lab.add_all("h");
    lab.expect_bonds(&[], "h0 arrived alone")?;
    let mut lab = Lab::new(f);
    lab.add_all("o");
    lab.expect_bonds(&[], "o0 arrived alone")
}

fn two_hydrogens_wait_for_oxygen() -> Outcome {
    let _runtime = enter();
    let f = &WaterFactory::new();
    let mut lab = Lab::new(f);
    lab.add_all("hh");
    lab.expect_bonds(&[], "h0 and h1 arrived, no oxygen yet")
}

fn third_hydrogen_waits_outside() -> Outcome {
    let _runtime = enter();
    let f = &WaterFactory::new();
    let mut lab = Lab::new(f);
    lab.add_all("hhh");
    lab.expect_bonds(&[], "h0, h1 and h2 arrived, no oxygen yet")?;
    lab.add_all("o");
    lab.expect_bonds(&["h0", "h1", "o0"], "then o0 arrived")?;
    lab.add_all("ho");
    lab.expect_bonds(&["h2", "h3", "o1"], "then h3 and o1 arrived")
}

fn second_oxygen_waits_outside() -> Outcome {
    let _runtime = enter();
    let f = &WaterFactory::new();
    let mut lab = Lab::new(f);
    lab.add_all("oo");
    lab.expect_bonds(&[], "o0 and o1 arrived, no hydrogen yet")?;
    lab.add_all("h");
    lab.expect_bonds(&[], "then h0 arrived")?;
    lab.add_all("h");
    lab.expect_bonds(&["h0", "h1", "o0"], "then h1 arrived")?;
    lab.add_all("hh");
    lab.expect_bonds(&["h2", "h3", "o1"], "then h2 and h3 arrived")
}

fn many_molecules_in_the_slides_order() -> Outcome {
    let _runtime = enter();
    let f = &WaterFactory::new();
    const N: usize = 50;
    let mut lab = Lab::new(f);
    lab.add_all(&"h".repeat(2 * N));
    lab.add_all(&"o".repeat(N));
    lab.settle()?;
    let bonds = std::mem::take(&mut *lab.bonds.borrow_mut());
    for (i, triple) in bonds.chunks(3).enumerate() {
        let oxygens = triple.iter().filter(|b| b.starts_with('o')).count();
        if triple.len() != 3 || oxygens != 1 {
            return Err(::std::format!(
                "after: {} hydrogens, then {N} oxygens arrived\nmolecule {}: {}",
                2 * N,
                i + 1,
                triple.join(" ")
            ));
        }
    }
    if bonds.len() != 3 * N {
        return Err(::std::format!(
            "after: {} hydrogens, then {N} oxygens arrived\nexpected {} bonds, got {}\nstill waiting: {}",
            2 * N,
            3 * N,
            bonds.len(),
            lab.waiting().join(" ")
        ));
    }
    Ok(())
}

/// Polls `future` once with a waker that sets `flag`.
fn poll_with(future: Pin<&mut (dyn Future<Output = ()> + '_)>, flag: &Arc<WakeFlag>) -> bool {
    let waker = Waker::from(flag.clone());
    future.poll(&mut Context::from_waker(&waker)).is_ready()
}

/// The slide's RAII permit lives until the end of the function, after
/// `bond()`. A permit released before it lets the next atom of the
/// same kind in while this one is still bonding: the semaphore wakes
/// that atom, which the bond callback sees.
fn a_permit_is_held_until_the_bond() -> Outcome {
    let _runtime = enter();
    for kind in ['o', 'h'] {
        let f = &WaterFactory::new();
        let flag = || Arc::new(WakeFlag(AtomicBool::new(false)));
        let flags = [flag(), flag(), flag()];
        // The extra atom of `kind`, which must wait for a permit.
        let waiting = flag();
        // What the waiting atom's flag said at each bond of `kind`.
        let seen: Rc<RefCell<Vec<bool>>> = Rc::default();
        let bond = |of: char| {
            let (seen, waiting) = (seen.clone(), waiting.clone());
            move || {
                if of == kind {
                    seen.borrow_mut().push(waiting.0.load(Ordering::SeqCst));
                }
            }
        };
        let mut molecule: Vec<Option<Pin<Box<dyn Future<Output = ()> + '_>>>> = ::std::vec![
            Some(Box::pin(f.oxygen(bond('o')))),
            Some(Box::pin(f.hydrogen(bond('h')))),
            Some(Box::pin(f.hydrogen(bond('h')))),
        ];
        let mut extra: Pin<Box<dyn Future<Output = ()> + '_>> = if kind == 'o' {
            Box::pin(f.oxygen(|| {}))
        } else {
            Box::pin(f.hydrogen(|| {}))
        };
        // The atoms of `kind` take their permits and wait at the barrier.
        let of_kind: &[usize] = if kind == 'o' { &[0] } else { &[1, 2] };
        for &i in of_kind {
            let atom = molecule[i].as_mut().expect("not done yet");
            if poll_with(atom.as_mut(), &flags[i]) {
                return Err(::std::format!(
                    "an atom bonded before its molecule was there\nwhile: only atoms of kind {kind} had come"
                ));
            }
        }
        // One more of `kind` comes: it waits for a permit.
        if poll_with(extra.as_mut(), &waiting) {
            return Err(::std::format!(
                "one atom of kind {kind} too many went through\nwhile: the molecule was not yet made"
            ));
        }
        waiting.0.store(false, Ordering::SeqCst);
        // The rest of the molecule comes; every atom is polled until done.
        for _round in 0..100 {
            for (i, slot) in molecule.iter_mut().enumerate() {
                if let Some(atom) = slot
                    && poll_with(atom.as_mut(), &flags[i])
                {
                    *slot = None;
                }
            }
            if molecule.iter().all(Option::is_none) {
                break;
            }
        }
        if molecule.iter().any(Option::is_some) {
            return Err("one oxygen and two hydrogens did not make a molecule".into());
        }
        if seen.borrow().first() == Some(&true) {
            let name = if kind == 'o' { "oxygen" } else { "hydrogen" };
            return Err(::std::format!(
                "an {name} let its permit go before it bonded\nseen: while it bonded, the next {name}, waiting for a permit, was let in"
            ));
        }
    }
    Ok(())
}

/// The slide's permit is an RAII guard: it goes back to its semaphore
/// when the atom's future ends, whatever happens in it, a panic in
/// `bond()` included. A permit forgotten and given back by hand after
/// the bond is lost when the bond panics, and no atom of that kind gets in
/// again. Atoms of the molecule that wait on after the panic (at a second
/// barrier, say) are dropped, as a runtime drops the tasks it cancels.
fn a_panicking_bond_gives_its_permit_back() -> Outcome {
    let _runtime = enter();
    for kind in ['o', 'h'] {
        let name = if kind == 'o' { "oxygen" } else { "hydrogen" };
        let f = &WaterFactory::new();
        let flag = || Arc::new(WakeFlag(AtomicBool::new(false)));
        let panics = move |of: char| {
            move || {
                if of == kind {
                    ::std::panic!("the grader's bond panics here, on purpose");
                }
            }
        };
        let first: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = ::std::vec![
            Box::pin(f.oxygen(panics('o'))),
            Box::pin(f.hydrogen(panics('h'))),
            Box::pin(f.hydrogen(|| {})),
        ];
        if drive(first, &flag).0 == 0 {
            return Err(::std::format!(
                "an {name} whose bond panics did not panic\nseen: its bond() was never called"
            ));
        }
        // The next molecule's atom of that kind needs the permit of the one
        // that panicked to get in and bond.
        let bonded: Rc<RefCell<Vec<char>>> = Rc::default();
        let records = |of: char| {
            let bonded = bonded.clone();
            move || bonded.borrow_mut().push(of)
        };
        let next: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = ::std::vec![
            Box::pin(f.oxygen(records('o'))),
            Box::pin(f.hydrogen(records('h'))),
            Box::pin(f.hydrogen(records('h'))),
        ];
        drive(next, &flag);
        if !bonded.borrow().contains(&kind) {
            return Err(::std::format!(
                "after an {name}'s bond() panicked, no {name} of the next molecule could bond\nseen: that {name}'s permit never went back to its semaphore; a permit given back by hand after bond() is lost when bond() panics, while the slide's RAII guard goes back whatever happens"
            ));
        }
    }
    Ok(())
}

/// Polls the atoms, round after round, until each has ended (or panicked:
/// its future is then dropped, as a runtime drops a task that panicked),
/// or until none can go on. How many panicked, and how many wait on (they
/// are dropped).
fn drive(
    atoms: Vec<Pin<Box<dyn Future<Output = ()> + '_>>>,
    flag: &dyn Fn() -> Arc<WakeFlag>,
) -> (usize, usize) {
    let mut atoms: Vec<_> = atoms.into_iter().map(|a| Some((a, flag()))).collect();
    let mut panicked = 0;
    for _round in 0..100 {
        for slot in atoms.iter_mut() {
            if let Some((atom, woken)) = slot {
                let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    poll_with(atom.as_mut(), woken)
                }));
                match polled {
                    Ok(false) => {}
                    Ok(true) => *slot = None,
                    Err(_) => {
                        panicked += 1;
                        *slot = None;
                    }
                }
            }
        }
        if atoms.iter().all(Option::is_none) {
            break;
        }
    }
    (panicked, atoms.iter().filter(|a| a.is_some()).count())
}

const CHECKS: &[Check] = &[
    ("an_atom_alone_waits", alone_waits),
    (
        "two_hydrogens_wait_for_an_oxygen",
        two_hydrogens_wait_for_oxygen,
    ),
    (
        "a_third_hydrogen_waits_outside_the_molecule",
        third_hydrogen_waits_outside,
    ),
    (
        "a_second_oxygen_waits_outside_the_molecule",
        second_oxygen_waits_outside,
    ),
    (
        "a_permit_is_held_until_the_bond",
        a_permit_is_held_until_the_bond,
    ),
    (
        "a_panicking_bond_gives_its_permit_back",
        a_panicking_bond_gives_its_permit_back,
    ),
    (
        "100_hydrogens_then_50_oxygens_make_50_molecules",
        many_molecules_in_the_slides_order,
    ),
];

/// A runtime context, in case the factory needs one; its futures are
/// still polled only by this harness. Each check runs on a thread of its
/// own, so each enters it.
fn enter() -> tokio::runtime::EnterGuard<'static> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a tokio runtime")
        })
        .enter()
}

pub(crate) fn run() -> ! {
    run_checks(CHECKS)
}
