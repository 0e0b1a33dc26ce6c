// The grader's poll-by-poll harness for `WaterFactory`, appended to a copy of
// the student's task2-struct-final.rs. It builds the factory's futures and
// polls them by hand, in an order it chooses, with a waker that records each
// wake. Where a black-box run catches a wrong factory only when the threads
// happen to interleave badly, this catches it every time.
// Usage and output: see common.rs.

pub(crate) mod grader_harness {
    use super::WaterFactory;
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
        counts: (usize, usize),
    }

    use super::grader_harness_common::{Check, Outcome, run_checks};

    impl<'f> Lab<'f> {
        fn new(factory: &'f WaterFactory) -> Self {
            Lab {
                factory,
                atoms: Vec::new(),
                bonds: Rc::default(),
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
            let name = format!("{kind}{index}");
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
            bonds
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
            Err(format!(
                "after: {after}\nexpected to bond: {}\nbonded: {}\nstill waiting: {}",
                shown(&want),
                shown(&bonds),
                shown(&self.waiting())
            ))
        }
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
                return Err(format!(
                    "after: {} hydrogens, then {N} oxygens arrived\nmolecule {}: {}",
                    2 * N,
                    i + 1,
                    triple.join(" ")
                ));
            }
        }
        if bonds.len() != 3 * N {
            return Err(format!(
                "after: {} hydrogens, then {N} oxygens arrived\nexpected {} bonds, got {}\nstill waiting: {}",
                2 * N,
                3 * N,
                bonds.len(),
                lab.waiting().join(" ")
            ));
        }
        Ok(())
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
}
