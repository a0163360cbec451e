//! The timer server's protocol, and its client side: time, sleeps and timeouts from a
//! user-space server (the `timer` program, which drives the CMOS real-time clock's periodic
//! interrupt).
//!
//! init starts the timer server in every system and gives each process a badged endpoint
//! capability to it in slot [`BootInfo::TIMER_SLOT`], named by the boot-info page's
//! `timer_slot` ([`Timer::system`]); the badge tells clients apart. A client registers up to
//! [`ALARMS`] alarms, each with a notification capability of its own; an alarm that is due is
//! signalled on that capability (with its badge). So a client sleeps by setting an alarm and
//! waiting on the notification, and bounds a `recv` by setting an alarm on a notification
//! bound to its thread: the `recv` ends with a signal if the alarm comes first.
//!
//! Time is in nanoseconds since the server started, counted in ticks of the clock
//! (1/[`TICKS_PER_SECOND`] s long; the figure is rounded down): the server's time is never
//! ahead of real time. An alarm set to go off `ns` from now goes off at the first tick at
//! least `ns` after the request arrived, never early; as the server knows the present only to
//! within a tick, that can be up to two ticks later than asked.
//!
//! [`BootInfo::TIMER_SLOT`]: tryst_abi::BootInfo::TIMER_SLOT

use tryst_abi::{Message, Slot};

use crate::ipc::{self, answered, MessageExt};
use crate::{notify, raw, Error};

/// `[alarm]` and a notification capability: that alarm of the caller's signals it. Empty answer.
pub const REGISTER: u64 = 1;
/// `[alarm, ns]`: the alarm goes off `ns` from now (replacing any earlier setting). Answer:
/// `[deadline]`, in the server's time.
pub const AFTER: u64 = 2;
/// `[alarm, deadline]`: the alarm goes off when the server's time reaches `deadline`. Empty
/// answer.
pub const AT: u64 = 3;
/// `[alarm]`: the alarm is off. Answer: `[1]` if it was set, `[0]` if it was not (it may
/// have gone off already: its signal may be pending).
pub const CANCEL: u64 = 4;
/// Answer: `[now]`, the server's time.
pub const NOW: u64 = 5;
/// End the server; only its unbadged capability may. Empty answer.
pub const STOP: u64 = 6;

/// How many alarms each client has: alarm numbers are `0..ALARMS`.
pub const ALARMS: u64 = 4;
/// The clock's ticks per second: the real-time clock's periodic rate.
pub const TICKS_PER_SECOND: u64 = 1024;

/// A client's view of the timer server.
#[derive(Clone, Copy, Debug)]
pub struct Timer {
    server: Slot,
}

/// One of a client's alarms, with the notification it signals.
#[derive(Clone, Copy, Debug)]
pub struct Alarm {
    timer: Timer,
    number: u64,
    notification: Slot,
}

impl Timer {
    /// The server whose endpoint capability is in `server`.
    pub const fn new(server: Slot) -> Timer {
        Timer { server }
    }

    /// The timer server init gave this process, if it was given one.
    pub fn system() -> Option<Timer> {
        match raw::boot_info().timer_slot {
            0 => None,
            slot => Slot::new(slot).ok().map(Timer::new),
        }
    }

    /// The server's time, in ns.
    pub fn now(&self) -> Result<u64, Error> {
        self.ask(NOW, &[]).map(|answer| answer.words[0])
    }

    /// Registers alarm `number` (below [`ALARMS`]) to signal the notification in
    /// `notification` (which needs Write; the server gets a copy). The server's endpoint
    /// capability needs Grant to carry it.
    pub fn alarm(&self, number: u64, notification: Slot) -> Result<Alarm, Error> {
        let message = Message::short(REGISTER, &[number]).with_caps(&[notification]);
        answered(&ipc::call(self.server, message)?)?;
        Ok(Alarm { timer: *self, number, notification })
    }

    /// Asks the server to end; only its unbadged capability may ([`Error::InvalidArgument`]
    /// for any other).
    pub fn stop(&self) -> Result<(), Error> {
        self.ask(STOP, &[]).map(drop)
    }

    fn ask(&self, label: u64, words: &[u64]) -> Result<Message, Error> {
        let answer = ipc::call(self.server, Message::short(label, words))?;
        answered(&answer)?;
        Ok(answer)
    }
}

impl Alarm {
    /// Sets the alarm to go off `ns` from now; returns the deadline, in the server's time.
    pub fn set_after(&self, ns: u64) -> Result<u64, Error> {
        self.timer.ask(AFTER, &[self.number, ns]).map(|answer| answer.words[0])
    }

    /// Sets the alarm to go off when the server's time reaches `deadline`.
    pub fn set_at(&self, deadline: u64) -> Result<(), Error> {
        self.timer.ask(AT, &[self.number, deadline]).map(drop)
    }

    /// Turns the alarm off; returns whether it was still set. If it was not, it may have gone
    /// off already, and its signal may be pending on the notification.
    pub fn cancel(&self) -> Result<bool, Error> {
        self.timer.ask(CANCEL, &[self.number]).map(|answer| answer.words[0] != 0)
    }

    /// Sleeps for at least `ns`: sets the alarm and waits on its notification, which must be
    /// this alarm's alone. Returns the bits the wait took.
    pub fn sleep(&self, ns: u64) -> Result<u64, Error> {
        self.set_after(ns)?;
        notify::wait(self.notification)
    }

    /// The notification the alarm signals.
    pub fn notification(&self) -> Slot {
        self.notification
    }
}
