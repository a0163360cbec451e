//! init: the one process the kernel starts, and the system's supervisor. It reads the scenario
//! named on the kernel command line (`scenario=NAME`, default `demo`), makes the scenario's
//! endpoints and notifications, and builds each of the scenario's processes and then the
//! servers of the system manifest (`init/manifest.rs`) from their ELF images in the boot images
//! (see `init/process.rs`). It tells the name service what each process may register and look
//! up, registers its own supervisor interface as `"init"` (`tryst::supervisor`), and then
//! serves: it answers supervisor requests and hears each process end (its own bit of a
//! notification bound to init's thread). A supervised server that ends is started again from
//! its image with fresh state: its endpoint is revoked first, so its clients' capabilities go
//! and they look the name up again. When every one of the scenario's processes has ended,
//! init stops the servers and exits, and the system has finished.
//! It runs at the highest priority, so every process is in place before any of them runs.
//!
//! Memory: a server with a budget is built from, and given, a Memory object of that budget.
//! init keeps a reserve of the boot Memory for building the scenario's processes and gives
//! the rest to them as one shared pool, a child Memory object, so that what they make is
//! counted apart from what they are made of.
#![no_std]
#![no_main]

#[path = "init/manifest.rs"]
mod manifest;
#[path = "init/process.rs"]
mod process;
#[path = "init/scenarios/mod.rs"]
mod scenarios;

use tryst::abi::{BindMode, BootImages, ObjectKind, SlotPath, MEMORY_COST};
use tryst::interface::Name;
use tryst::ipc::{self, EndpointStats, Event};
use tryst::supervisor::{self, EndpointRecord, ProcessRecord, ENDED};
use tryst::timer::Timer;
use tryst::{caps, console, names, notify, println, thread, Error, Slot};

use process::{
    at, Membership, Objects, Record, CONSOLE, EXITS, MAX_PROCESSES, NAMES, POOL, SUPERVISOR, TIMER,
};
use scenarios::{Grant, Launch};

tryst::entry!(main);

/// Boot Memory kept back for building processes: room for a few dozen.
const RESERVE: u64 = 16 << 20;
/// How often a server is restarted before init gives up on it.
const MAX_RESTARTS: u32 = 16;

fn main(_: u64) -> u32 {
    let Some(images) = tryst::boot_images() else {
        println!("init: no boot images");
        return 1;
    };
    let name = scenario_name(&images).unwrap_or(scenarios::SCENARIOS[0].name);
    let Some(scenario) = scenarios::find(name) else {
        println!("init: no scenario called {name:?}");
        return 1;
    };
    println!("init: scenario {}", scenario.name);
    let memory = at(tryst::boot_info().memory_slot);
    let made = caps::memory_info(memory).and_then(|(budget, used)| {
        caps::create_memory(memory, at(POOL), budget - used - RESERVE - MEMORY_COST)
    });
    if let Err(error) = made {
        println!("init: cannot set aside the processes' pool: {error:?}");
        return 1;
    }
    let objects = match Objects::create(at(POOL), scenario) {
        Ok(objects) => objects,
        Err(error) => {
            println!("init: cannot make the scenario's endpoints and notifications: {error:?}");
            return 1;
        }
    };
    let made = [CONSOLE, TIMER, NAMES, SUPERVISOR]
        .into_iter()
        .try_for_each(|slot| caps::create(memory, ObjectKind::Endpoint, at(slot), 0))
        .and_then(|()| caps::create(memory, ObjectKind::Notification, at(EXITS), 0))
        .and_then(|()| notify::bind(at(tryst::boot_info().thread_slot), at(EXITS), BindMode::Receive));
    if let Err(error) = made {
        println!("init: cannot make the servers' endpoints and the exit notification: {error:?}");
        return 1;
    }
    let services = if scenario.services { manifest::SERVICES } else { &[] };
    let launches = scenario.launches.iter().chain(manifest::CORE).chain(services);
    let mut system = System { images, memory, objects, processes: [const { None }; MAX_PROCESSES] };
    for (n, launch) in launches.enumerate() {
        if n == MAX_PROCESSES {
            println!("init: more processes than the {MAX_PROCESSES} init keeps records of");
            return 1;
        }
        let scenario_process = n < scenario.launches.len();
        system.processes[n] =
            Some(Process { launch, pid: n as u64 + 1, running: false, restarts: 0, scenario_process });
        system.start(n);
    }
    let mut failed = system.processes().filter(|p| !p.running).count();
    // Until the name service knows the rules, nobody runs: init is above every process.
    if system.running("names") {
        if let Err(error) = system.tell_the_name_service() {
            println!("init: cannot tell the name service the manifest's rules: {error:?}");
            failed += 1;
        }
    } else {
        let _ = caps::revoke(at(NAMES));
    }
    // Clients of a server that cannot start fail at once rather than wait for ever.
    for (slot, server) in [(CONSOLE, "console"), (TIMER, "timer")] {
        if !system.running(server) {
            let _ = caps::revoke(at(slot));
        }
    }
    // The processes hold everything they need: init's capabilities to the scenario's objects
    // go. Only supervised servers, which have budgets, are built again.
    system.objects.delete();
    if let Err(error) = system.supervise() {
        println!("init: cannot serve: {error:?}");
        return 1;
    }
    // The pool paid for the scenario's objects: they live as long as it does (a Memory object
    // takes what it paid for along when its last capability goes), so it goes only now that
    // the scenario's processes have ended, even when none of them was built from it.
    let _ = caps::delete(at(POOL));
    failed += system.stop_servers();
    u32::from(failed != 0)
}

/// One process init started, and its record.
struct Process {
    launch: &'static Launch,
    /// Its number with init: record index + 1, kept across restarts.
    pid: u64,
    running: bool,
    restarts: u32,
    /// One of the scenario's own processes (init waits for them), not a server.
    scenario_process: bool,
}

/// What init keeps: the boot images, its reserve, and the processes' records.
struct System<'a> {
    images: BootImages<'a>,
    memory: Slot,
    objects: Objects,
    /// Records from index 0 on, in the order the processes were first started.
    processes: [Option<Process>; MAX_PROCESSES],
}

impl System<'_> {
    fn processes(&self) -> impl Iterator<Item = &Process> {
        self.processes.iter().flatten()
    }

    fn running(&self, program: &str) -> bool {
        self.processes().any(|p| p.launch.program == program && p.running)
    }

    /// Builds and starts process `n` from its record; reports how that went.
    fn start(&mut self, n: usize) {
        let Some(process) = &mut self.processes[n] else { return };
        let (launch, record) = (process.launch, Record::new(n));
        let member = Membership {
            pid: process.pid,
            console: !launch.caps.contains(&Grant::Console),
            timer: !launch.caps.contains(&Grant::Timer),
            exit_bit: 1 << n,
            argument: launch.argument_for(self.images.command_line()),
        };
        let Some(image) = self.images.find(launch.program) else {
            println!("init: no boot image called {}", launch.program);
            return;
        };
        let prepared = prepare(self.memory, launch, &record);
        let (build_from, give) = match launch.budget {
            0 => (self.memory, at(POOL)),
            _ => (record.memory, record.memory),
        };
        let spawned = prepared
            .map_err(process::SpawnError::from)
            .and_then(|()| process::spawn(build_from, give, &self.objects, launch, image, &member, &record));
        match spawned.and_then(|()| Ok(thread::info(record.thread)?)) {
            Ok(info) => {
                process.running = true;
                let restart = match process.restarts {
                    0 => "started",
                    _ => "restarted",
                };
                println!(
                    "init: {restart} {} (process {}, pid {}) at priority {}{}",
                    launch.program,
                    info.number,
                    process.pid,
                    launch.priority,
                    BudgetNote(launch.budget >> 10)
                );
            }
            Err(error) => println!("init: cannot start {}: {error:?}", launch.program),
        }
    }

    /// The manifest's rules for the name service, then init's own registration.
    fn tell_the_name_service(&self) -> Result<(), Error> {
        for process in self.processes() {
            let rules = process.launch.registers.iter().map(|name| (name, names::MAY_REGISTER));
            let rules = rules.chain(process.launch.looks_up.iter().map(|name| (name, names::MAY_LOOK_UP)));
            for (name, may) in rules {
                let name = Name::new(name).ok_or(Error::InvalidArgument)?;
                names::allow(at(NAMES), process.pid, name, may)?;
            }
        }
        names::register_at(at(NAMES), "init", at(SUPERVISOR))
    }

    /// Answers supervisor requests and restarts servers as they end, until every one of the
    /// scenario's processes has ended.
    fn supervise(&mut self) -> Result<(), Error> {
        while self.processes().any(|p| p.scenario_process && p.running) {
            match ipc::recv_event(at(SUPERVISOR))? {
                Event::Signal { bits } => {
                    for n in (0..MAX_PROCESSES).filter(|n| bits & 1 << n != 0) {
                        self.ended(n);
                    }
                }
                Event::Message { badge, message } => {
                    let answer = supervisor::dispatch(self, badge, &message);
                    // A caller that died meanwhile needs no answer.
                    let _ = ipc::reply(answer);
                }
            }
        }
        Ok(())
    }

    /// Process `n` has ended: a supervised server starts again from its image. A server that
    /// is not started again leaves no client waiting: the endpoint it served goes, and with
    /// it every capability to it, so callers queued on it wake with PeerGone and later calls
    /// fail at once (a client of a dead name service gets `EmptySlot` from its lookups). A
    /// process with a budget of its own gives back everything it paid for.
    fn ended(&mut self, n: usize) {
        let names_running = self.running("names");
        let Some(process) = &mut self.processes[n] else { return };
        process.running = false;
        let launch = process.launch;
        let restart = if !launch.restart {
            false
        } else if process.restarts == MAX_RESTARTS {
            println!("init: not starting {} again: it ended after {MAX_RESTARTS} restarts", launch.program);
            false
        } else if !launch.registers.is_empty() && !names_running {
            println!(
                "init: not starting {} again: the name service it registers with is gone",
                launch.program
            );
            false
        } else {
            true
        };
        let record = Record::new(n);
        // Its own endpoint always goes: a restarted instance gets a new one.
        if launch.caps.contains(&Grant::Own) {
            let _ = caps::revoke(record.endpoint);
            let _ = caps::delete(record.endpoint);
        }
        // Everything the process paid for goes with it, whatever still holds it: threads it
        // made, and cycles of spaces and threads that hold each other. (A process built from
        // the shared pool has nothing of its own to take back.)
        if launch.budget != 0 {
            let _ = caps::revoke(record.memory);
            if !restart {
                let _ = caps::delete(record.memory);
            }
        }
        if !restart {
            // A system endpoint outlives its server's restarts, but not its server.
            for (grant, slot) in [(Grant::Names, NAMES), (Grant::Console, CONSOLE), (Grant::Timer, TIMER)] {
                if launch.caps.contains(&grant) {
                    let _ = caps::revoke(at(slot));
                    let _ = caps::delete(at(slot));
                }
            }
            return;
        }
        process.restarts += 1;
        if let Ok((_, used)) = caps::memory_info(record.memory) {
            if used != 0 {
                println!("init: {} left {used} bytes of its budget in use", process.launch.program);
            }
        }
        self.start(n);
    }

    /// Ends the servers once the scenario's processes have: the console last, so that the
    /// others' last words get out. Returns how many could not be stopped.
    fn stop_servers(&mut self) -> usize {
        let mut failed = 0;
        for process in self.processes.iter_mut().flatten() {
            // None of them is restarted from here on.
            process.scenario_process = true;
        }
        for (n, process) in self.processes.iter().enumerate() {
            let Some(caps) = process.as_ref().filter(|p| p.running).map(|p| p.launch.caps) else { continue };
            if !caps.contains(&Grant::Console) && !caps.contains(&Grant::Timer) {
                let _ = caps::destroy_thread(Record::new(n).thread);
            }
        }
        if self.running("timer") {
            if let Err(error) = Timer::new(at(TIMER)).stop() {
                println!("init: cannot stop the timer server: {error:?}");
                failed += 1;
            }
        }
        if self.running("console") {
            if let Err(error) = console::stop(at(CONSOLE)) {
                println!("init: cannot stop the console server: {error:?}");
                failed += 1;
            }
        }
        failed
    }

    /// The record of process `pid`.
    fn record(&self, pid: u64) -> Result<(usize, &Process), Error> {
        let n = usize::try_from(pid.wrapping_sub(1)).map_err(|_| Error::InvalidArgument)?;
        match self.processes.get(n) {
            Some(Some(process)) => Ok((n, process)),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The endpoints init made for servers, with the program serving each.
    fn endpoints(&self) -> impl Iterator<Item = (Slot, &'static str)> + '_ {
        let system = [(CONSOLE, "console"), (TIMER, "timer"), (NAMES, "names"), (SUPERVISOR, "init")];
        let system = system.into_iter().map(|(slot, name)| (at(slot), name));
        let own = self.processes.iter().enumerate().filter_map(|(n, p)| {
            let p = p.as_ref()?;
            p.launch.caps.contains(&Grant::Own).then(|| (Record::new(n).endpoint, p.launch.program))
        });
        system.chain(own)
    }
}

impl supervisor::Server for System<'_> {
    fn process_count(&mut self, _: u64) -> Result<u8, Error> {
        Ok(self.processes().count() as u8)
    }

    fn process(&mut self, _: u64, index: u8) -> Result<ProcessRecord, Error> {
        let process =
            self.processes.get(usize::from(index)).and_then(Option::as_ref).ok_or(Error::InvalidArgument)?;
        let name = Name::new(process.launch.program).unwrap_or_default();
        let (number, state) = match thread::info(Record::new(usize::from(index)).thread) {
            Ok(info) if process.running => (info.number, u64::from(info.state) as u8),
            _ => (0, ENDED),
        };
        Ok((process.pid, number, name, state, process.launch.priority, process.restarts))
    }

    fn kill(&mut self, caller: u64, pid: u64) -> Result<(), Error> {
        let (n, process) = self.record(pid)?;
        if !process.running {
            return Err(Error::InvalidState);
        }
        println!("init: killing {} (pid {pid}), as process {caller} asks", process.launch.program);
        caps::destroy_thread(Record::new(n).thread)
    }

    fn capability(&mut self, _: u64, pid: u64, slot: u8) -> Result<(u64, u64, u64), Error> {
        let (n, _) = self.record(pid)?;
        let info = caps::identify(SlotPath::within(Record::new(n).cspace, caps::slot(slot.into())?))?;
        Ok((info.kind.map_or(0, u64::from), info.rights.bits(), info.badge))
    }

    fn endpoint_count(&mut self, _: u64) -> Result<u8, Error> {
        Ok(self.endpoints().count() as u8)
    }

    fn endpoint(&mut self, _: u64, index: u8) -> Result<EndpointRecord, Error> {
        let (slot, program) = self.endpoints().nth(usize::from(index)).ok_or(Error::InvalidArgument)?;
        // A server's endpoint between its end and its restart has no counters.
        let EndpointStats { messages, calls, replies, caps } = ipc::endpoint_stats(slot).unwrap_or_default();
        Ok((Name::new(program).unwrap_or_default(), messages, calls, replies, caps))
    }

    fn memory(&mut self, _: u64, pid: u64) -> Result<(u64, u64), Error> {
        let (n, process) = self.record(pid)?;
        match process.launch.budget {
            0 => Err(Error::EmptySlot),
            _ => caps::memory_info(Record::new(n).memory),
        }
    }
}

/// Makes what a process's record holds before it is built: its Memory object (once: a
/// restart reuses it) and its own endpoint.
fn prepare(memory: Slot, launch: &Launch, record: &Record) -> Result<(), Error> {
    if launch.budget != 0 && caps::identify(record.memory).is_err() {
        caps::create_memory(memory, record.memory, launch.budget)?;
    }
    if launch.caps.contains(&Grant::Own) {
        let pays = if launch.budget != 0 { record.memory } else { at(POOL) };
        caps::create_endpoint(pays, record.endpoint)?;
    }
    Ok(())
}

/// ", budget N KiB" when a process has one.
struct BudgetNote(u64);

impl core::fmt::Display for BudgetNote {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            0 => Ok(()),
            kib => write!(f, ", budget {kib} KiB"),
        }
    }
}

/// The value of `scenario=` on the kernel command line.
fn scenario_name<'a>(images: &BootImages<'a>) -> Option<&'a str> {
    images.command_line().split_whitespace().find_map(|word| word.strip_prefix("scenario="))
}
