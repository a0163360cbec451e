//! System-call and IPC microbenchmarks: each operation many times after a warm-up, timed with
//! serialized `rdtsc` (the timer's own overhead subtracted); prints min, median and p99, a
//! table and one JSON line. Under `-icount shift=0` the figures are guest instruction counts.
//!
//! The IPC figures are cross-address-space: `bench_server` processes answer on the first
//! endpoint (echo, reply_recv loop), receive on the second (sink, recv loop) and answer with
//! time stamps on the seventh (the one-way figures). Booted with `fastpath=off` (the second
//! half of `make bench`) the same program measures the general path.
//!
//! The notification figure is a wake-up round trip: a signal wakes `bench_waiter`, a more
//! urgent process blocked in `wait` on the fifth capability, which runs and waits again before
//! the signaller resumes. The AST figures are this process's own: a signal to itself, delivered
//! as the `signal` call returns, timed to the first instruction of a handler (a stub that
//! reads the TSC and returns), and from there through `ast_return` back to after the call.
//!
//! The system figures go through the user-space servers init starts from its manifest: a
//! typed call (`counter::Client::total`, the code `tryst::interface!` generates on both sides)
//! beside a raw `call` of the same message to the same server; a name lookup (with deleting
//! the capability it answers); and a restart, from a call that faults the counter server to
//! the first call its new instance serves (init rebuilds it, it registers again, the client
//! looks it up again). Restarts are few: init restarts a server at most 16 times.
//!
//! The ring figures are throughput, first with both sides yielding while the ring is full or
//! empty, then with both asleep on notifications (`send_blocking`/`recv_blocking`).
//! Ring throughput is in bytes per guest instruction (thousandths): messages
//! of one size sent through a shared-page ring to `bench_ring_sink` (on the third
//! endpoint, at this program's priority so that a yield on a full ring runs it) until the
//! sink has taken them all.
#![no_std]
#![no_main]

mod counter_interface;
mod revoke_common;
mod ring_common;

use counter_interface::counter;
use ring_common::Waiting;
use tryst::abi::{BindMode, SyscallNumber};
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, READ_WRITE};
use tryst::raw::timestamp;
use tryst::ring::{NotificationBell, Producer};
use tryst::{caps, names, notify, println, Error, Message, Slot};

tryst::entry!(main);

const WARM_UP: usize = 200;
const SAMPLES: usize = 2000;

struct Summary {
    samples: usize,
    min: u64,
    median: u64,
    p99: u64,
}

/// Times `operation` SAMPLES times after WARM_UP untimed runs, less `overhead` per sample.
fn measure(overhead: u64, mut operation: impl FnMut()) -> Summary {
    for _ in 0..WARM_UP {
        operation();
    }
    let mut samples = [0u64; SAMPLES];
    for sample in samples.iter_mut() {
        let start = timestamp();
        operation();
        *sample = (timestamp() - start).saturating_sub(overhead);
    }
    summarize(&mut samples)
}

/// The two halves of a round trip, as sel4bench reports them: from before the `call` to the
/// server's first instruction after its `recv`, and from the server's last instruction before
/// its `reply_recv` to after the `call` returns. The server on `stamps` answers with the time
/// stamps it took there.
fn one_way_figures(stamps: Slot, overhead: u64, words: &[u64]) -> (Summary, Summary) {
    let (mut call_way, mut reply_way) = ([0u64; SAMPLES], [0u64; SAMPLES]);
    for n in 0..WARM_UP + SAMPLES {
        let start = timestamp();
        let answer = ipc::call(stamps, Message::short(1, &words[..4]));
        let end = timestamp();
        let [arrived, leaves, ..] = answer.map_or([0; 4], |answer| answer.words);
        if let Some(i) = n.checked_sub(WARM_UP) {
            call_way[i] = arrived.wrapping_sub(start).saturating_sub(overhead);
            reply_way[i] = end.wrapping_sub(leaves).saturating_sub(overhead);
        }
    }
    (summarize(&mut call_way), summarize(&mut reply_way))
}

/// Server restarts timed (after one untimed), well under init's limit of 16 per server.
const RESTARTS: usize = 10;

/// The typed call, the same call made raw, and the name lookup, through the `counter` server;
/// then restarts of it. `counter` and `looked_up` are empty slots.
fn system_figures(overhead: u64, counter: Slot, looked_up: Slot) -> Result<[Summary; 4], Error> {
    let client = counter::Client::lookup("counter", counter)?;
    client.total()?;
    let typed = measure(overhead, || {
        let _ = client.total();
    });
    let raw = measure(overhead, || {
        let _ = ipc::call(counter, Message::short(counter::op::total, &[]));
    });
    let name = tryst::interface::Name::new("counter").ok_or(Error::InvalidArgument)?;
    let lookup = measure(overhead, || {
        let _ = names::lookup(name, looked_up);
        let _ = caps::delete(looked_up);
    });
    let mut restarts = [0u64; RESTARTS];
    for n in 0..=RESTARTS {
        let start = timestamp();
        match client.crash() {
            Err(Error::PeerGone) => {}
            other => {
                println!("bench: crashing the counter answered {other:?}, not PeerGone");
                return Err(Error::InvalidState);
            }
        }
        // The new instance starts with a total of 0; anything else is not it.
        if client.total()? != 0 {
            return Err(Error::InvalidState);
        }
        if let Some(sample) = n.checked_sub(1).and_then(|i| restarts.get_mut(i)) {
            *sample = (timestamp() - start).saturating_sub(overhead);
        }
    }
    Ok([typed, raw, lookup, summarize(&mut restarts)])
}

/// The label that ends a `bench_server`.
const STOP: u64 = 0xdead;
/// A spare slot for the capability the transfer benchmark sends.
const SPARE: u64 = 20;
/// The Frame the map benchmark maps and unmaps, and where.
const MAP_FRAME: u64 = 21;
const MAP_ADDR: u64 = 0x30_0000_0000;
/// The ring's frames (slots `RING_FIRST ..`), and where the ring is mapped here.
const RING_FIRST: u64 = 50;
const RING_ADDR: u64 = 0x10_0000_0000;
/// The revoke benchmark's endpoint and capability spaces (slots `REVOKE_FIRST ..`), and the
/// numbers of copies it revokes. It runs before the ring is made, so 10,000 copies find the
/// 79 capability spaces they need in slots 31 to 109.
const REVOKE_FIRST: u64 = 30;
const REVOKE_COPIES: [u64; 2] = [1_000, 10_000];

/// The Frame the fault benchmark maps wherever `bench_fault_child` faults, and where the
/// child's address-space capability lands.
const FAULT_FRAME: u64 = 22;
const CHILD_SPACE: u64 = 23;
/// The label of `bench_fault_child`'s results.
const FAULT_RESULTS: u64 = 0xf417;

/// Serves `bench_fault_child` on `endpoint` as its fault handler until it sends its
/// figures: at each fault, moves the one Frame to the faulting page and resumes the child.
fn fault_round_trip(endpoint: Slot, memory: Slot) -> Option<Summary> {
    let (frame, child_space) = (Slot::new(FAULT_FRAME).ok()?, Slot::new(CHILD_SPACE).ok()?);
    caps::create_frame(memory, frame).ok()?;
    ipc::set_receive_slots(&[child_space]);
    ipc::recv(endpoint).ok()?;
    let (_, mut message) = ipc::reply_recv(endpoint, Message::short(0, &[])).ok()?;
    loop {
        if message.info.label == FAULT_RESULTS {
            let _ = ipc::reply(Message::short(0, &[]));
            let [min, median, p99, samples] = message.words;
            return Some(Summary { samples: samples as usize, min, median, p99 });
        }
        let page = tryst::fault::FaultInfo::from_message(&message)?.page?.0 & !0xfff;
        let _ = memory::unmap(frame);
        memory::map(child_space, frame, page, READ_WRITE).ok()?;
        message = ipc::reply_recv(endpoint, Message::short(0, &[])).ok()?.1;
    }
}

/// The notification the AST benchmark signals itself through, in this process's slots.
const AST_NOTIFICATION: u64 = 24;
/// The stack the handler stub runs on (it pushes nothing; the kernel needs a user address).
const AST_STACK_TOP: u64 = 0x7fff_ffff_0000;

/// The TSC at the handler stub's first instruction (written by the stub, read after it).
#[unsafe(no_mangle)]
static mut BENCH_AST_TSC: u64 = 0;

// The AST handler of the benchmark: reads the TSC first thing, stores it, and returns.
core::arch::global_asm!(
    r#"
    .section .text.bench_ast_entry, "ax"
    .global bench_ast_entry
bench_ast_entry:
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov [rip + BENCH_AST_TSC], rax
    mov eax, {ast_return}
    syscall
    ud2
    "#,
    ast_return = const SyscallNumber::AstReturn as u64,
);

/// Times AST delivery (signal to the handler's first instruction) and `ast_return` (from
/// there to after the `signal` call), SAMPLES times after WARM_UP.
fn ast_figures(memory: Slot, overhead: u64) -> Option<(Summary, Summary)> {
    unsafe extern "C" {
        fn bench_ast_entry();
    }
    let (me, notification) =
        (Slot::new(tryst::boot_info().thread_slot).ok()?, Slot::new(AST_NOTIFICATION).ok()?);
    caps::create_notification(memory, notification).ok()?;
    let entry = bench_ast_entry as *const () as u64;
    // SAFETY: ast_set_handler only records two user addresses; the stub runs on this
    // process's own stack page below AST_STACK_TOP and touches nothing but BENCH_AST_TSC.
    let (status, _) = unsafe {
        tryst::raw::syscall(SyscallNumber::AstSetHandler.into(), [me.into(), entry, AST_STACK_TOP, 0, 0, 0])
    };
    if status != 0 {
        return None;
    }
    notify::bind(me, notification, BindMode::Ast).ok()?;
    let mut delivery = [0u64; SAMPLES];
    let mut back = [0u64; SAMPLES];
    for n in 0..WARM_UP + SAMPLES {
        let start = timestamp();
        notify::signal(notification).ok()?;
        let end = timestamp();
        // SAFETY: the stub wrote it before `signal` returned; nothing else writes it.
        let handler = unsafe { core::ptr::read_volatile(&raw const BENCH_AST_TSC) };
        if let Some(i) = n.checked_sub(WARM_UP) {
            delivery[i] = (handler - start).saturating_sub(overhead);
            back[i] = end - handler;
        }
    }
    notify::unbind(me).ok()?;
    caps::delete(notification).ok()?;
    Some((summarize(&mut delivery), summarize(&mut back)))
}

/// Min, median and p99 of `samples` (not empty).
fn summarize(samples: &mut [u64]) -> Summary {
    samples.sort_unstable();
    let n = samples.len();
    Summary { samples: n, min: samples[0], median: samples[n / 2], p99: samples[n * 99 / 100] }
}

/// Notifications for the blocking ring runs: the benchmark's (slot 45) and the sink's (46);
/// the sink gets a Read copy of its own and a Write copy of the benchmark's (slots 47, 48).
fn blocking_sink(producer: &mut Producer, memory: Slot, sink: Slot) -> Option<NotificationBell> {
    // An empty run first: the sink takes calls only between runs.
    producer.send_with(&[], tryst::yield_now).ok()?;
    let [own, peer, sink_own, sink_peer] = [45, 46, 47, 48].map(|n| Slot::new(n).expect("valid slot"));
    caps::create_notification(memory, own).ok()?;
    caps::create_notification(memory, peer).ok()?;
    caps::mint(peer, sink_own, tryst::Rights::READ, 0).ok()?;
    caps::mint(own, sink_peer, tryst::Rights::WRITE, 0).ok()?;
    let message = Message::short(BLOCKING_SINK, &[]).with_caps(&[sink_own, sink_peer]);
    ipc::call(sink, message).ok()?;
    caps::delete(sink_own).ok()?;
    caps::delete(sink_peer).ok()?;
    Some(NotificationBell { own, peer, waits: 0 })
}

/// The label of the call that makes `bench_ring_sink` block on notifications.
const BLOCKING_SINK: u64 = 0xb10c;

/// One ring throughput figure.
struct Throughput {
    message: usize,
    bytes: u64,
    instructions: u64,
}

impl Throughput {
    /// Bytes per guest instruction, in thousandths.
    fn milli_bytes_per_instruction(&self) -> u64 {
        self.bytes * 1000 / self.instructions.max(1)
    }
}

/// Sends `total` bytes in `message`-byte messages through the ring, then waits until the
/// sink on `sink` has taken them all.
fn ring_throughput(
    producer: &mut Producer,
    wait: &mut Waiting,
    sink: Slot,
    message: usize,
    total: u64,
) -> Throughput {
    let payload = [0x5au8; tryst::ring::MAX_MESSAGE];
    let start = timestamp();
    let mut sent = 0;
    while sent < total {
        if wait.send(producer, &payload[..message]).is_err() {
            break;
        }
        sent += message as u64;
    }
    let _ = wait.send(producer, &[]);
    let received = ipc::call(sink, Message::short(1, &[])).map_or(0, |answer| answer.words[0]);
    Throughput { message, bytes: received, instructions: timestamp() - start }
}

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let echo = Slot::new(boot.endpoints[0]).expect("echo endpoint slot");
    let sink = Slot::new(boot.endpoints[1]).expect("sink endpoint slot");
    let ring_sink = Slot::new(boot.endpoints[2]).expect("ring sink endpoint slot");
    let fault_endpoint = Slot::new(boot.endpoints[3]).expect("fault endpoint slot");
    let stamps = Slot::new(boot.endpoints[6]).expect("time-stamp endpoint slot");
    let (wake, stop_waiter) = (
        Slot::new(boot.endpoints[4]).expect("notification slot"),
        Slot::new(boot.endpoints[5]).expect("notification slot"),
    );
    let spare = Slot::new(SPARE).expect("valid slot");
    let memory = Slot::new(boot.memory_slot).expect("memory slot");
    let (space, map_frame) =
        (memory::own_space().expect("space slot"), Slot::new(MAP_FRAME).expect("valid slot"));
    if let Err(error) = caps::create_frame(memory, map_frame) {
        println!("bench: cannot make a frame to map: {error:?}");
        return 1;
    }

    // The capability the transfer benchmark sends (the server deletes its copy each time).
    if let Err(error) = caps::copy(sink, spare) {
        println!("bench: cannot copy a capability to send: {error:?}");
        return 1;
    }
    let words: [u64; 64] = core::array::from_fn(|i| i as u64);
    let overhead = measure(0, || {}).min;
    let (call_way, reply_way) = one_way_figures(stamps, overhead, &words);
    let invalid = SyscallNumber::ALL.len() as u64 + 100;
    let results = [
        (
            "null syscall (unknown number)",
            measure(overhead, || {
                // SAFETY: an unknown number is rejected with an error code and changes nothing.
                unsafe { tryst::raw::syscall(invalid, [0; 6]) };
            }),
        ),
        (
            "clock read (sleep 0)",
            measure(overhead, || {
                tryst::now();
            }),
        ),
        ("yield (alone)", measure(overhead, tryst::yield_now)),
        (
            "debug_write (0 bytes)",
            measure(overhead, || {
                let _ = tryst::debug_write(&[]);
            }),
        ),
        (
            "ipc call+reply_recv (4 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::short(1, &words[..4]));
            }),
        ),
        (
            "ipc call+reply_recv (0 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::short(1, &[]));
            }),
        ),
        (
            "ipc call+reply_recv (10 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::long(1, &words[..10]));
            }),
        ),
        ("ipc call one way (4 words)", call_way),
        ("ipc reply_recv one way (4 words)", reply_way),
        (
            "ipc send->recv one way",
            measure(overhead, || {
                let _ = ipc::send(sink, Message::short(1, &words[..4]));
            }),
        ),
        (
            "ipc call+reply_recv (64 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::long(1, &words));
            }),
        ),
        (
            "ipc call+reply_recv (1 cap)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::short(1, &words[..4]).with_caps(&[spare]));
            }),
        ),
        (
            "signal->wait wake-up round trip",
            measure(overhead, || {
                let _ = notify::signal(wake);
            }),
        ),
        (
            "map+unmap one page",
            measure(overhead, || {
                let _ = memory::map(space, map_frame, MAP_ADDR, READ_WRITE);
                let _ = memory::unmap(map_frame);
            }),
        ),
    ];
    let Some(faults) = fault_round_trip(fault_endpoint, memory) else {
        println!("bench: the fault benchmark failed");
        return 1;
    };
    let _ = notify::signal(stop_waiter);
    let Some((delivery, back)) = ast_figures(memory, overhead) else {
        println!("bench: the AST benchmark failed");
        return 1;
    };
    let fault = [
        ("fault->handler->resume (+map)", faults),
        ("AST delivery (signal->handler)", delivery),
        ("ast_return (handler->resumed)", back),
    ];
    let first_free = boot.first_free_slot;
    let (counter, looked_up) =
        (Slot::new(first_free).expect("free slot"), Slot::new(first_free + 1).expect("free slot"));
    let [typed, raw, lookup, restart] = match system_figures(overhead, counter, looked_up) {
        Ok(figures) => figures,
        Err(error) => {
            println!("bench: the system benchmarks failed: {error:?}");
            return 1;
        }
    };
    let mut revokes = [(0, false, 0); 4];
    for (n, (copies, chained)) in REVOKE_COPIES.iter().flat_map(|&c| [(c, true), (c, false)]).enumerate() {
        match revoke_common::time_revoke(memory, REVOKE_FIRST, copies, chained) {
            Ok(revoke) => revokes[n] = (copies, chained, revoke.per_copy()),
            Err(error) => {
                println!("bench: the revoke benchmark failed: {error:?}");
                return 1;
            }
        }
    }
    let system = [
        ("typed call counter.total()", typed),
        ("raw call, same message", raw),
        ("name lookup (+delete)", lookup),
        ("restart: crash->served call", restart),
    ];
    // Only now, so that the sink (which yields while the ring is empty) stays out of the way
    // of the figures above.
    let mut producer = match ring_common::produce(memory, ring_sink, RING_FIRST, RING_ADDR) {
        Ok(producer) => producer,
        Err(error) => {
            println!("bench: cannot set up the ring: {error:?}");
            return 1;
        }
    };
    let mut wait = Waiting::Yield { yields: 0 };
    let yielding = [
        ring_throughput(&mut producer, &mut wait, ring_sink, 64, 1 << 20),
        ring_throughput(&mut producer, &mut wait, ring_sink, 4096, 4 << 20),
    ];
    let Some(bell) = blocking_sink(&mut producer, memory, ring_sink) else {
        println!("bench: cannot make the ring sink block");
        return 1;
    };
    let mut wait = Waiting::Sleep(bell);
    let blocking = [
        ring_throughput(&mut producer, &mut wait, ring_sink, 64, 1 << 20),
        ring_throughput(&mut producer, &mut wait, ring_sink, 4096, 4 << 20),
    ];
    let rings = [&yielding[0], &yielding[1], &blocking[0], &blocking[1]];
    let names =
        ["ring, 64 B, yielding", "ring, 4 KiB, yielding", "ring, 64 B, blocking", "ring, 4 KiB, blocking"];
    for endpoint in [echo, sink, stamps] {
        let _ = ipc::send(endpoint, Message::short(STOP, &[]));
    }
    // An empty run first: the sink takes calls only between runs.
    let _ = wait.send(&mut producer, &[]);
    let _ = ipc::call(ring_sink, Message::short(STOP, &[]));
    println!("bench: samples after a warm-up, timer overhead {overhead} subtracted");
    println!("bench: {:<32} {:>8} {:>8} {:>8} {:>8}", "operation", "samples", "min", "median", "p99");
    for (name, s) in results.iter().chain(&fault).chain(&system) {
        println!("bench: {:<32} {:>8} {:>8} {:>8} {:>8}", name, s.samples, s.min, s.median, s.p99);
    }
    println!("bench:");
    println!("bench: {:<32} {:>8} {:>12} {:>12}", "ring throughput", "bytes", "instructions", "bytes/instr");
    for (ring, name) in rings.iter().zip(names) {
        let rate = ring.milli_bytes_per_instruction();
        println!(
            "bench: {:<32} {:>8} {:>12} {:>8}.{:03}",
            name,
            ring.bytes,
            ring.instructions,
            rate / 1000,
            rate % 1000
        );
    }
    println!("bench:");
    println!("bench: {:<32} {:>8} {:>12}", "revoke", "copies", "instr/copy");
    for &(copies, chained, per_copy) in &revokes {
        let shape = if chained { "revoke, chained copies" } else { "revoke, flat copies" };
        println!("bench: {shape:<32} {copies:>8} {per_copy:>12}");
    }
    let mut first = true;
    tryst::print!("json: {{\"results\": [");
    for (name, s) in results.iter().chain(&fault).chain(&system) {
        let comma = if first { "" } else { ", " };
        first = false;
        tryst::print!(
            "{comma}{{\"operation\": \"{name}\", \"samples\": {}, \"min\": {}, \"median\": {}, \"p99\": {}}}",
            s.samples,
            s.min,
            s.median,
            s.p99
        );
    }
    tryst::print!("], \"ring_throughput\": [");
    for (n, ring) in rings.iter().enumerate() {
        let comma = if n == 0 { "" } else { ", " };
        let rate = ring.milli_bytes_per_instruction();
        let blocking = n >= 2;
        tryst::print!(
            "{comma}{{\"message_bytes\": {}, \"blocking\": {blocking}, \"bytes\": {}, \"instructions\": {}, \"bytes_per_instruction\": {}.{:03}}}",
            ring.message,
            ring.bytes,
            ring.instructions,
            rate / 1000,
            rate % 1000
        );
    }
    tryst::print!("], \"revoke\": [");
    for (n, &(copies, chained, per_copy)) in revokes.iter().enumerate() {
        let comma = if n == 0 { "" } else { ", " };
        tryst::print!(
            "{comma}{{\"copies\": {copies}, \"chained\": {chained}, \"instructions_per_copy\": {per_copy}}}"
        );
    }
    println!("]}}");
    0
}
