//! The shell: a command line on the serial console. It reads lines through the console server
//! and answers from init's supervisor interface (looked up as `"init"`) and the kernel's own
//! counters, read through capabilities. `help` lists the commands.
#![no_std]
#![no_main]

mod counter_interface;

use counter_interface::counter;
use tryst::abi::{ObjectKind, ThreadRunState};
use tryst::supervisor::{self, ENDED};
use tryst::{caps, console, print, println, Error, Rights, Slot};

tryst::entry!(main);

const HELP: &str = "\
commands:
  help          this list
  ps            processes: pid, kernel process number, state, priority, restarts
  caps PID      the capabilities of process PID, slot by slot
  ipc           every server endpoint's counters, kept by the kernel
  bench         time 1000 call/reply round trips to the counter server
  kill PID      end process PID (init restarts a supervised server)
  echo TEXT     print TEXT
  exit          leave the shell";

/// Round trips `bench` times.
const ROUND_TRIPS: u64 = 1000;

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let slot = |n: u64| Slot::new(n).expect("a slot below CSPACE_SLOTS");
    let (Some(console), line_ready) = (console::endpoint(), slot(boot.first_free_slot)) else {
        println!("shell: no console");
        return 1;
    };
    let made = caps::create_notification(slot(boot.memory_slot), line_ready);
    let init = supervisor::Client::lookup("init", slot(boot.first_free_slot + 1));
    let init = match (made, init) {
        (Ok(()), Ok(init)) => init,
        (made, init) => {
            println!("shell: cannot set up: notification {made:?}, looking up init {:?}", init.err());
            return 1;
        }
    };
    // The counter server, for `bench`; its connection looks it up again after a restart.
    let counter = counter::Client::lookup("counter", slot(boot.first_free_slot + 2));
    let shell = Shell { init, counter };
    println!("Tryst shell. Type help for the commands.");
    let mut line = [0u8; 128];
    loop {
        print!("tryst> ");
        let len = match console::read_line(console, line_ready, &mut line) {
            Ok(len) => len,
            Err(error) => {
                println!("shell: cannot read the console: {error:?}");
                return 1;
            }
        };
        let Ok(text) = core::str::from_utf8(&line[..len]) else {
            println!("shell: that line is not UTF-8");
            continue;
        };
        let mut words = text.split_whitespace();
        let Some(command) = words.next() else { continue };
        let argument = words.next();
        match (command, argument) {
            ("help", _) => println!("{HELP}"),
            ("ps", _) => shell.ps(),
            ("caps", Some(pid)) => with_pid(pid, |pid| shell.caps(pid)),
            ("ipc", _) => shell.ipc(),
            ("bench", _) => shell.bench(),
            ("kill", Some(pid)) => with_pid(pid, |pid| shell.kill(pid)),
            ("echo", _) => println!("{}", text.trim_start().strip_prefix("echo").unwrap_or("").trim()),
            ("exit", _) => {
                println!("shell: bye");
                return 0;
            }
            ("caps" | "kill", None) => println!("shell: {command} needs a PID (see ps)"),
            _ => println!("shell: unknown command {command:?}; type help for the list"),
        }
    }
}

/// Runs `command` with the number in `text`, or says it is not one.
fn with_pid(text: &str, command: impl FnOnce(u64)) {
    match text.parse() {
        Ok(pid) => command(pid),
        Err(_) => println!("shell: {text:?} is not a PID (see ps)"),
    }
}

struct Shell {
    init: supervisor::Client,
    counter: Result<counter::Client, Error>,
}

impl Shell {
    fn ps(&self) {
        let Ok(count) = self.init.process_count().inspect_err(|e| println!("shell: ps: {e:?}")) else {
            return;
        };
        println!("  PID  PROCESS  STATE           PRIO  RESTARTS  NAME");
        for index in 0..count {
            match self.init.process(index) {
                Ok((pid, number, name, state, priority, restarts)) => {
                    let number = if state == ENDED { 0 } else { number };
                    println!(
                        "{pid:>5}  {number:>7}  {:<14}  {priority:>4}  {restarts:>8}  {name}",
                        state_name(state)
                    );
                }
                Err(error) => println!("shell: ps: record {index}: {error:?}"),
            }
        }
    }

    fn caps(&self, pid: u64) {
        println!("  SLOT  KIND           RIGHTS  BADGE");
        let mut shown = 0;
        for slot in 0..tryst::abi::CSPACE_SLOTS as u8 {
            match self.init.capability(pid, slot) {
                Ok((kind, rights, badge)) => {
                    let kind = ObjectKind::try_from(kind).map_or("?", kind_name);
                    println!("{slot:>6}  {kind:<13}  {:<6}  {badge:#x}", RightsText(rights));
                    shown += 1;
                }
                Err(Error::EmptySlot) => {}
                Err(error) => {
                    println!("shell: caps {pid}: {error:?}");
                    return;
                }
            }
        }
        println!("{shown} capabilities");
    }

    fn ipc(&self) {
        let Ok(count) = self.init.endpoint_count().inspect_err(|e| println!("shell: ipc: {e:?}")) else {
            return;
        };
        println!("  SERVER       MESSAGES     CALLS   REPLIES  CAPS");
        for index in 0..count {
            match self.init.endpoint(index) {
                Ok((name, messages, calls, replies, caps)) => {
                    println!("  {:<10} {messages:>9} {calls:>9} {replies:>9} {caps:>5}", name.as_str())
                }
                Err(error) => println!("shell: ipc: endpoint {index}: {error:?}"),
            }
        }
    }

    fn bench(&self) {
        let counter = match &self.counter {
            Ok(counter) => counter,
            Err(error) => {
                println!("shell: bench: cannot look up counter: {error:?}");
                return;
            }
        };
        let start = tryst::raw::timestamp();
        for _ in 0..ROUND_TRIPS {
            if let Err(error) = counter.total() {
                println!("shell: bench: {error:?}");
                return;
            }
        }
        let per = (tryst::raw::timestamp() - start) / ROUND_TRIPS;
        println!("bench: {ROUND_TRIPS} typed call/reply round trips to counter: {per} TSC ticks each");
    }

    fn kill(&self, pid: u64) {
        match self.init.kill(pid) {
            Ok(()) => println!("shell: killed pid {pid}"),
            Err(error) => println!("shell: kill {pid}: {error:?}"),
        }
    }
}

fn state_name(state: u8) -> &'static str {
    if state == ENDED {
        return "ended";
    }
    match ThreadRunState::try_from(u64::from(state)) {
        Ok(ThreadRunState::Inactive) => "suspended",
        Ok(ThreadRunState::Ready) => "ready",
        Ok(ThreadRunState::Running) => "running",
        Ok(ThreadRunState::Sleeping) => "sleeping",
        Ok(ThreadRunState::Sending) => "sending",
        Ok(ThreadRunState::Receiving) => "receiving",
        Ok(ThreadRunState::AwaitingReply) => "awaiting reply",
        Ok(ThreadRunState::Waiting) => "waiting",
        Err(_) => "?",
    }
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::CSpace => "cspace",
        ObjectKind::Memory => "memory",
        ObjectKind::Endpoint => "endpoint",
        ObjectKind::Thread => "thread",
        ObjectKind::Frame => "frame",
        ObjectKind::AddressSpace => "address space",
        ObjectKind::Notification => "notification",
        ObjectKind::IrqControl => "irq control",
        ObjectKind::IrqHandler => "irq handler",
        ObjectKind::IoPort => "io ports",
    }
}

/// Rights as letters: r w g G x, `-` for each missing.
struct RightsText(u64);

impl core::fmt::Display for RightsText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let rights = Rights::from_bits_truncate(self.0);
        for (right, letter) in [
            (Rights::READ, 'r'),
            (Rights::WRITE, 'w'),
            (Rights::GRANT, 'g'),
            (Rights::GRANT_REPLY, 'G'),
            (Rights::EXECUTE, 'x'),
        ] {
            write!(f, "{}", if rights.contains(right) { letter } else { '-' })?;
        }
        Ok(())
    }
}
