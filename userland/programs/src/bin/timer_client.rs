//! `timer_sleep`: a client of the timer server (`tryst::timer`), which every system runs.
//!
//! With an argument of N (milliseconds), it sleeps N ms on an alarm and checks that it did not
//! wake early, by the server's clock and by the kernel's own tick count (100 Hz, the PIT: a
//! clock the server does not use). Several such clients with different lengths start
//! together; the test checks that they wake in order of length.
//!
//! With `TIMEOUTS` as argument it bounds a `recv` nobody answers with an alarm on its bound
//! notification, cancels an alarm before it goes off, and makes the requests the server must
//! refuse. Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{slot, Checks};
use tryst::abi::{BindMode, TICK_HZ};
use tryst::ipc::{self, Event, MessageExt};
use tryst::timer::{Timer, AFTER, ALARMS, STOP};
use tryst::{caps, notify, Error, Message};

tryst::entry!(main);

const TIMEOUTS: u64 = 1 << 32;
const MS: u64 = 1_000_000;

fn main(argument: u64) -> u32 {
    let mut checks = Checks::new("timer_client");
    let Some(timer) = Timer::system() else {
        checks.note(format_args!("FAILED: no timer server"));
        return 1;
    };
    match argument {
        TIMEOUTS => timeouts(&mut checks, timer),
        ms => sleep(&mut checks, timer, ms),
    }
    checks.finish()
}

/// Sleeps `ms` milliseconds and reports when it woke.
fn sleep(checks: &mut Checks, timer: Timer, ms: u64) {
    let boot = tryst::boot_info();
    let wake = slot(boot.first_free_slot);
    let made = caps::create_notification(slot(boot.memory_slot), wake);
    let Some(alarm) = checks.ok("register an alarm", made.and_then(|()| timer.alarm(0, wake))) else {
        return;
    };
    let (Ok(asked), kernel_asked) = (timer.now(), tryst::now()) else { return };
    checks.ok("sleep", alarm.sleep(ms * MS));
    let (Ok(woke), kernel_woke) = (timer.now(), tryst::now()) else { return };
    let (slept, kernel_ticks) = (woke - asked, kernel_woke - kernel_asked);
    checks.note(format_args!("slept {ms} ms: woke at {woke} ns, {slept} ns after asking"));
    checks.holds("not early by the timer server's clock", slept >= ms * MS);
    // Whole kernel ticks that passed: at least the whole ticks in the time asked for.
    checks.holds("not early by the kernel's ticks", kernel_ticks >= ms * TICK_HZ / 1000);
}

/// A timeout on `recv`, a cancelled alarm, and the requests the server refuses.
fn timeouts(checks: &mut Checks, timer: Timer) {
    let boot = tryst::boot_info();
    let (memory, free) = (slot(boot.memory_slot), boot.first_free_slot);
    let (bound, spare, lonely) = (slot(free), slot(free + 1), slot(free + 2));
    for (what, made) in [
        ("make a notification", caps::create_notification(memory, bound)),
        ("make another", caps::create_notification(memory, spare)),
        ("make an endpoint nobody sends to", caps::create_endpoint(memory, lonely)),
        ("bind the first to this thread", notify::bind(slot(boot.thread_slot), bound, BindMode::Receive)),
    ] {
        checks.ok(what, made);
    }
    let (Ok(timeout), Ok(other)) = (timer.alarm(0, bound), timer.alarm(1, spare)) else {
        checks.note(format_args!("FAILED: cannot register the alarms"));
        return;
    };

    // recv with a 15 ms timeout: the alarm ends it.
    let asked = timer.now().unwrap_or(0);
    checks.ok("set a 15 ms timeout", timeout.set_after(15 * MS));
    let ended = ipc::recv_event(lonely);
    let waited = timer.now().unwrap_or(0) - asked;
    checks.holds("the recv ended by the alarm's signal", matches!(ended, Ok(Event::Signal { .. })));
    checks.note(format_args!("recv timed out after {waited} ns"));
    checks.holds("not before 15 ms", waited >= 15 * MS);

    // An alarm cancelled before it goes off never signals.
    checks.ok("set a 5 ms alarm", timeout.set_after(5 * MS));
    checks.equal("cancel it", timeout.cancel(), Ok(true));
    checks.ok("sleep 10 ms on another alarm", other.sleep(10 * MS));
    checks.equal("the cancelled alarm's signal", notify::poll(bound), Ok(0));
    checks.equal("cancel it again", timeout.cancel(), Ok(false));

    // What the server refuses, each with an error; it goes on serving.
    checks.error(
        "an alarm number out of range",
        timer.alarm(ALARMS, spare).map(drop),
        Error::InvalidArgument,
    );
    // Requests `Timer` cannot make, sent as raw messages.
    let server = slot(tryst::boot_info().timer_slot);
    let ask = |label: u64, words: &[u64]| {
        ipc::call(server, Message::short(label, words)).and_then(|answer| ipc::answered(&answer))
    };
    checks.error("set an alarm never registered", ask(AFTER, &[2, MS]), Error::InvalidArgument);
    checks.error("an unknown request", ask(99, &[]), Error::InvalidArgument);
    checks.error("stop the server (only init may)", ask(STOP, &[]), Error::InvalidArgument);
    checks.holds("the server still answers", timer.now().is_ok_and(|now| now > asked));
}
