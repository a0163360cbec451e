//! The system-call fuzzer's scenarios: four copies of `fuzz` at three priorities, sharing
//! two endpoints (one badged differently for each) and a notification, each with a Memory
//! budget of its own, so that everything a copy makes goes back when it ends.
//!
//! `syscall_fuzz_short` (in `make test`) makes `SHORT_CALLS` calls from a fixed seed; `fuzz`
//! takes `fuzz_seed=` and `fuzz_calls=` (the total, shared among the copies) from the kernel
//! command line, which `make fuzz SEED=… CALLS=…` sets.

use tryst::abi::{ObjectKind, Rights};

use super::{badged, full, launch_with, notification, scenario, Grant, Launch, Scenario};

const COPIES: u64 = 4;
/// The short run's calls, and its seed.
const SHORT_CALLS: u64 = 240_000;
const SHORT_SEED: u64 = 1;
/// Each copy's own kernel memory: its pool, its watchdog, and whatever it makes directly.
const BUDGET: u64 = 512 * 1024;
/// The most calls one copy can be told to make (24 bits of its argument).
const MAX_CALLS_EACH: u64 = (1 << 24) - 1;

const SHARED: &[Grant] =
    &[full(0), badged(1, 0xf0), notification(2, Rights::of(ObjectKind::Notification), 0)];

/// Copy `index` at `priority`; `options` gives it its seed and calls (`short` or `long`).
const fn copy(index: u64, priority: u8, options: fn(&str, u64) -> u64) -> Launch {
    launch_with("fuzz", priority, index, SHARED).budgeted(BUDGET).with_options(options)
}

pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "syscall_fuzz_short",
        &[copy(0, 4, short), copy(1, 3, short), copy(2, 3, short), copy(3, 2, short)],
    ),
    scenario("fuzz", &[copy(0, 4, long), copy(1, 3, long), copy(2, 3, long), copy(3, 2, long)]),
];

/// The argument of copy `index` in the short run: the fixed seed and calls.
fn short(_: &str, index: u64) -> u64 {
    argument(index, SHORT_SEED, SHORT_CALLS)
}

/// The argument of copy `index` in a `make fuzz` run.
fn long(command_line: &str, index: u64) -> u64 {
    let value = |key: &str, default: u64| {
        let option = command_line.split_whitespace().find_map(|word| word.strip_prefix(key));
        option.and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    argument(index, value("fuzz_seed=", SHORT_SEED), value("fuzz_calls=", SHORT_CALLS))
}

/// fuzz.rs's argument: the copy in bits 0–7, its share of the calls in 8–31, the seed above.
fn argument(index: u64, seed: u64, calls: u64) -> u64 {
    let each = calls.div_ceil(COPIES).min(MAX_CALLS_EACH);
    index | each << 8 | (seed & 0xffff_ffff) << 32
}
