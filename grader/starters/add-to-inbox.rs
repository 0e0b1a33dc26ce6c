//! Slides: "Scenario: Add To Inbox" and "Compile-Time State Machine".
//!
//! The slide's `async fn add_to_inbox`, and the same logic written by hand as
//! the compiler writes it: a struct whose state is an enum, with one variant
//! per `.await` point holding the future being awaited there. Everything is
//! given but the heart of it: `AddToInbox::poll`, which moves from state to
//! state.
//!
//! The database is simulated: a call waits in a queue until `answer_next`
//! answers it, as a reply from a real server arrives later, and then wakes
//! the waker it was last polled with. `main` plays the executor.
//!
//! Run it with `cargo run --bin add-to-inbox`: both columns must agree in
//! every scenario. Grade it with `cargo test -p grader add_to_inbox`; the
//! grader polls your future by hand, one step at a time.

// The TODOs leave code unused until you write them; delete the line below then,
// so that the compiler can point at what your code leaves unused.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Error {
    NoSuchMessage,
    NoSuchUser,
    InboxFull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct User {
    id: u64,
    /// How many messages the inbox holds at most.
    capacity: usize,
    inbox: Vec<String>,
}

impl User {
    fn verify_has_space(&self, _msg: &str) -> Result<(), Error> {
        if self.inbox.len() < self.capacity {
            Ok(())
        } else {
            Err(Error::InboxFull)
        }
    }

    fn add_to_inbox(&self, mail: &Mail, msg: String) -> DbCall<Result<(), Error>> {
        let id = self.id;
        mail.db.call(move |tables| match tables.users.get_mut(&id) {
            Some(user) => {
                user.inbox.push(msg);
                Ok(())
            }
            None => Err(Error::NoSuchUser),
        })
    }
}

/// What the database holds.
#[derive(Default)]
struct Tables {
    /// Messages by address.
    messages: HashMap<String, String>,
    users: HashMap<u64, User>,
}

/// A query on the tables, run when the call is answered.
type Query<T> = Box<dyn FnOnce(&mut Tables) -> T + Send>;
/// An answered query: what it returns is the waker to wake.
type Job = Query<Option<Waker>>;

/// The simulated database: calls wait in a queue until answered.
#[derive(Clone, Default)]
struct Db(Arc<Mutex<DbState>>);

#[derive(Default)]
struct DbState {
    tables: Tables,
    waiting: VecDeque<Job>,
    calls: usize,
}

impl Db {
    /// A call that runs `query` on the tables once it is answered.
    fn call<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut Tables) -> T + Send + 'static,
    ) -> DbCall<T> {
        DbCall {
            db: self.clone(),
            query: Some(Box::new(query)),
            answer: Arc::new(Mutex::new(Answer {
                value: None,
                waker: None,
            })),
        }
    }

    /// Answers the oldest waiting call and wakes whoever waits for it.
    /// Returns false when no call waits.
    fn answer_next(&self) -> bool {
        let waker = {
            let mut state = self.0.lock().unwrap();
            let Some(job) = state.waiting.pop_front() else {
                return false;
            };
            job(&mut state.tables)
        };
        // Woken outside the lock: the woken task may call the database at once.
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// How many calls were sent so far.
    fn calls(&self) -> usize {
        self.0.lock().unwrap().calls
    }
}

struct Answer<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// A database call in flight: a leaf future, written by hand, that is
/// pending until the database answers, and then wakes the latest waker it
/// was polled with.
struct DbCall<T> {
    db: Db,
    /// The query, until the first poll sends it (futures do nothing before).
    query: Option<Query<T>>,
    answer: Arc<Mutex<Answer<T>>>,
}

impl<T: Send + 'static> Future for DbCall<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(query) = self.query.take() {
            let answer = self.answer.clone();
            let job: Job = Box::new(move |tables| {
                let value = query(tables);
                let mut answer = answer.lock().unwrap();
                answer.value = Some(value);
                answer.waker.take()
            });
            let mut state = self.db.0.lock().unwrap();
            state.waiting.push_back(job);
            state.calls += 1;
        }
        let mut answer = self.answer.lock().unwrap();
        match answer.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                // Keep the waker of this poll: the task may have moved.
                answer.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The mail service: the database, and a cache of users in front of it.
#[derive(Clone, Default)]
struct Mail {
    db: Db,
    cache: Arc<Mutex<HashMap<u64, User>>>,
}

fn load_message(mail: &Mail, email: String) -> DbCall<Result<String, Error>> {
    mail.db.call(move |tables| {
        tables
            .messages
            .get(&email)
            .cloned()
            .ok_or(Error::NoSuchMessage)
    })
}

/// The slide's `get_user`: from the cache if it is there, else from the
/// database, then into the cache.
fn get_user(mail: &Mail, id: u64) -> GetUser {
    match mail.cache.lock().unwrap().get(&id) {
        Some(user) => GetUser::Cached(Some(user.clone())),
        None => GetUser::Fetching {
            call: mail
                .db
                .call(move |tables| tables.users.get(&id).cloned().ok_or(Error::NoSuchUser)),
            cache: mail.cache.clone(),
        },
    }
}

/// `get_user`'s future: ready at once on a cache hit (no `.await` at all),
/// or waiting for the database.
enum GetUser {
    Cached(Option<User>),
    Fetching {
        call: DbCall<Result<User, Error>>,
        cache: Arc<Mutex<HashMap<u64, User>>>,
    },
}

impl Future for GetUser {
    type Output = Result<User, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            GetUser::Cached(user) => Poll::Ready(Ok(user.take().expect("polled after completion"))),
            GetUser::Fetching { call, cache } => {
                let user = match Pin::new(call).poll(cx) {
                    Poll::Ready(result) => result?,
                    Poll::Pending => return Poll::Pending,
                };
                cache.lock().unwrap().insert(user.id, user.clone());
                Poll::Ready(Ok(user))
            }
        }
    }
}

/// The slide's original.
async fn add_to_inbox(mail: Mail, email: String, id: u64) -> Result<(), Error> {
    let msg = load_message(&mail, email).await?;
    let user = get_user(&mail, id).await?;
    user.verify_has_space(&msg)?;
    user.add_to_inbox(&mail, msg).await
}

/// The same, desugared by hand: one state per `.await`, each holding what
/// is still needed after it, and the future it waits for.
struct AddToInbox {
    mail: Mail,
    state: AddToInboxState,
}

enum AddToInboxState {
    /// Created: nothing has run yet, as with any future.
    New { email: String, id: u64 },
    /// At `load_message(email).await`.
    LoadingMsg {
        load: DbCall<Result<String, Error>>,
        id: u64,
    },
    /// At `get_user(id).await`, with the message loaded.
    GettingUser { msg: String, get: GetUser },
    /// At `user.add_to_inbox(msg).await`.
    AddingInbox { add: DbCall<Result<(), Error>> },
    /// Returned its result.
    Done,
}

impl AddToInbox {
    fn new(mail: Mail, email: String, id: u64) -> Self {
        AddToInbox {
            mail,
            state: AddToInboxState::New { email, id },
        }
    }

    /// Returns the result, once: the state becomes `Done`.
    fn finish(&mut self, result: Result<(), Error>) -> Poll<Result<(), Error>> {
        self.state = AddToInboxState::Done;
        Poll::Ready(result)
    }
}

impl Future for AddToInbox {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: the state machine of `add_to_inbox`, one `match` arm per state:
        // - `New`: start `load_message(&mail, email)` and move to `LoadingMsg`;
        // - `LoadingMsg`: poll `load` (`Pin::new(load).poll(cx)`). Pending:
        //   return `Poll::Pending` (the call keeps `cx`'s waker and wakes it
        //   when answered). An error: finish with it. A message: start
        //   `get_user(&mail, id)` and move to `GettingUser`;
        // - `GettingUser`: likewise; then `user.verify_has_space(&msg)`, then
        //   start `user.add_to_inbox(&mail, msg)` and move to `AddingInbox`;
        // - `AddingInbox`: poll `add`; its result is the result;
        // - `Done`: polled after completion: panic, as an async fn does.
        // After a move to a new state, poll its future straight away (loop):
        // returning Pending with nothing to wake you would wait forever.
        // `self.finish(result)` sets `Done` and returns `Poll::Ready(result)`.
        todo!("poll the state machine")
    }
}

/// A waker that only remembers that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The executor of this demo: poll; while pending, let the database answer
/// (which wakes us), and poll again only once woken.
fn run<F: Future>(future: F, db: &Db) -> F::Output {
    let mut future = std::pin::pin!(future);
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        while !flag.0.swap(false, Ordering::SeqCst) {
            assert!(
                db.answer_next(),
                "pending, but no database call to wait for"
            );
        }
    }
}

/// A mail service with one message and one user whose inbox holds `free`
/// more messages; the user is in the cache already if `cached`.
fn service(free: usize, cached: bool) -> Mail {
    let mail = Mail::default();
    let user = User {
        id: 7,
        capacity: 2,
        inbox: vec!["old".to_string(); 2 - free],
    };
    {
        let mut state = mail.db.0.lock().unwrap();
        state
            .tables
            .messages
            .insert("hello@example.com".into(), "Hello!".into());
        state.tables.users.insert(user.id, user.clone());
    }
    if cached {
        mail.cache.lock().unwrap().insert(user.id, user);
    }
    mail
}

fn main() {
    let scenarios = [
        ("success", "hello@example.com", 7, 1, false),
        ("message missing", "nobody@example.com", 7, 1, false),
        ("no such user", "hello@example.com", 8, 1, false),
        ("inbox full", "hello@example.com", 7, 0, false),
        ("cached user", "hello@example.com", 7, 1, true),
    ];
    println!("{:<16} {:<32} AddToInbox (by hand)", "scenario", "async fn");
    for (name, email, id, free, cached) in scenarios {
        let by_compiler = service(free, cached);
        let result = run(
            add_to_inbox(by_compiler.clone(), email.into(), id),
            &by_compiler.db,
        );
        let by_hand = service(free, cached);
        let hand = run(
            AddToInbox::new(by_hand.clone(), email.into(), id),
            &by_hand.db,
        );
        let show = |result: &Result<(), Error>, mail: &Mail| {
            format!("{result:?}, {} db calls", mail.db.calls())
        };
        println!(
            "{name:<16} {:<32} {}",
            show(&result, &by_compiler),
            show(&hand, &by_hand)
        );
    }
    let mail = Mail::default();
    println!(
        "size_of: async fn future {} bytes, AddToInbox {} bytes",
        std::mem::size_of_val(&add_to_inbox(mail.clone(), String::new(), 0)),
        std::mem::size_of_val(&AddToInbox::new(mail, String::new(), 0)),
    );
}
