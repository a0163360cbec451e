//! The monitor of `ipc_stress_no_leak`, at the highest priority so that it runs first.
//!
//! Before anyone else runs it records `kernel_stats` and the boot Memory object's figures.
//! Then it waits for the reports of `argument` stress clients (first endpoint) and, while every
//! process still exists (clients wait for its word on the second endpoint, servers in `recv`),
//! records both again: they must be back to their starting values, so no capability, endpoint
//! or Memory object made during the run survived it and no kernel memory stayed charged. It
//! releases the clients, has each server (third and fourth endpoints, badge 99) answer `QUIT`
//! with its count of calls per client, and checks those against the clients' reports.
#![no_std]
#![no_main]

use tryst::caps::{self, KernelStats};
use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, Slot};

mod ipc_stress_protocol;
use ipc_stress_protocol::{CLIENTS, GOOD, QUIT};

tryst::entry!(main);

/// What the kernel and the boot Memory object say at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    stats: KernelStats,
    /// The boot Memory object's (budget, used) in bytes.
    memory: (u64, u64),
}

impl Snapshot {
    fn take(memory: Slot) -> Snapshot {
        Snapshot { stats: caps::kernel_stats(), memory: caps::memory_info(memory).unwrap_or((0, 0)) }
    }

    fn print(&self, when: &str) {
        let s = self.stats;
        println!(
            "ipc_stress_monitor: {when}: {} threads, {} endpoints, {} memory objects, {} capabilities, {} cspaces; \
             boot memory {} of {} bytes used",
            s.threads, s.endpoints, s.memories, s.capabilities, s.cspaces, self.memory.1, self.memory.0
        );
    }
}

/// A client's report: calls to each server, capabilities sent, problems.
#[derive(Clone, Copy, Default)]
struct Report {
    calls: [u64; 2],
    gifts: u64,
    problems: u64,
}

/// Receives the reports of all clients, indexed by client number (1 to `CLIENTS`).
fn collect(done: Slot) -> Result<[Report; CLIENTS], Error> {
    let mut reports = [Report::default(); CLIENTS];
    for _ in 0..CLIENTS {
        let (_, message) = ipc::recv(done)?;
        let client = message.info.label as usize;
        let [to_first, to_second, gifts, problems] = message.words;
        let report = Report { calls: [to_first, to_second], gifts, problems };
        match reports.get_mut(client.wrapping_sub(1)) {
            Some(slot) => *slot = report,
            None => println!("ipc_stress_monitor: a report from unknown client {client} (FAILED)"),
        }
    }
    Ok(reports)
}

/// Has server `n` (1 or 2) quit; checks its counts against the clients' reports.
fn quit_server(n: usize, server: Slot, reports: &[Report; CLIENTS]) -> bool {
    let answer = match ipc::call(server, Message::short(QUIT, &[])) {
        Ok(answer) if answer.info.label == GOOD => answer,
        other => {
            println!(
                "ipc_stress_monitor: server {n} answered QUIT with {:?} (FAILED)",
                other.map(|m| m.info.label)
            );
            return false;
        }
    };
    let counted = [answer.words[0], answer.words[1], answer.words[2]];
    let reported: [u64; CLIENTS] = core::array::from_fn(|c| reports[c].calls[n - 1]);
    let problems = answer.words[3];
    if counted != reported || problems != 0 {
        println!(
            "ipc_stress_monitor: server {n} counted {counted:?} with {problems} problems; clients report {reported:?} (FAILED)"
        );
        return false;
    }
    println!("ipc_stress_monitor: server {n} counted {counted:?} calls in order, as the clients report");
    true
}

fn main(_: u64) -> u32 {
    let info = tryst::boot_info();
    let endpoint = |n: usize| Slot::new(info.endpoints[n]).expect("boot endpoint slot");
    let (done, release, servers) = (endpoint(0), endpoint(1), [endpoint(2), endpoint(3)]);
    let memory = Slot::new(info.memory_slot).expect("boot memory slot");

    let before = Snapshot::take(memory);
    before.print("at the start");
    let started = tryst::now();
    let reports = match collect(done) {
        Ok(reports) => reports,
        Err(error) => {
            println!("ipc_stress_monitor: receiving a report failed: {error:?} (FAILED)");
            return 1;
        }
    };
    let ticks = tryst::now() - started;
    let after = Snapshot::take(memory);
    after.print("at the end");
    let mut good = before == after;
    if good {
        println!("ipc_stress_monitor: kernel objects and boot memory are back to their starting values");
    } else {
        println!("ipc_stress_monitor: kernel objects or boot memory differ from the start (FAILED)");
    }

    for _ in 0..CLIENTS {
        if let Err(error) = ipc::send(release, Message::short(0, &[])) {
            println!("ipc_stress_monitor: releasing a client failed: {error:?} (FAILED)");
            return 1;
        }
    }
    for (n, &server) in servers.iter().enumerate() {
        good &= quit_server(n + 1, server, &reports);
    }
    let calls: u64 = reports.iter().map(|r| r.calls[0] + r.calls[1]).sum();
    let gifts: u64 = reports.iter().map(|r| r.gifts).sum();
    let problems: u64 = reports.iter().map(|r| r.problems).sum();
    good &= problems == 0;
    println!(
        "ipc_stress_monitor: {calls} calls ({} messages with the replies), {gifts} capabilities transferred, \
         {problems} client problems, in {ticks} ticks",
        2 * calls
    );
    u32::from(!good)
}
