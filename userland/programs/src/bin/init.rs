//! init: the one process the kernel starts. It reads the scenario named on the kernel command
//! line (`scenario=NAME`, default `demo`), makes the scenario's endpoints and notifications,
//! builds each process from its ELF image in the boot images (see `init/process.rs`), starts
//! them all with the system's servers beside them (the console server and the timer server,
//! to which every process gets a capability), and waits until every one of the scenario's
//! processes has ended (each signals a bit of init's notification as it ends). Then it stops
//! the servers and exits, and the system has finished.
//! It runs at the highest priority, so every process is in place before any of them runs.
//!
//! Memory: init keeps a reserve of the boot Memory for building processes (their pages,
//! page tables, threads and capability spaces) and gives the rest to the processes as one
//! shared pool, a child Memory object, so that what they make is counted apart from what
//! they are made of.
#![no_std]
#![no_main]

#[path = "init/process.rs"]
mod process;
#[path = "init/scenarios/mod.rs"]
mod scenarios;

use tryst::abi::{BootImages, ObjectKind, MEMORY_COST};
use tryst::timer::Timer;
use tryst::{caps, console, notify, println};

use process::{at, Membership, Objects, CONSOLE, EXITS, TIMER};

/// The timer server's badge with the console server (scenario processes have 1, 2, …).
const TIMER_SERVER_BADGE: u64 = 63;

tryst::entry!(main);

/// Boot Memory kept back for building processes: room for a few dozen.
const RESERVE: u64 = 16 << 20;
/// init's slot for the processes' pool.
const POOL_SLOT: u64 = 99;

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
    let boot = tryst::boot_info();
    let memory = process::at(boot.memory_slot);
    let pool = process::at(POOL_SLOT);
    let made = caps::memory_info(memory)
        .and_then(|(budget, used)| caps::create_memory(memory, pool, budget - used - RESERVE - MEMORY_COST));
    if let Err(error) = made {
        println!("init: cannot set aside the processes' pool: {error:?}");
        return 1;
    }
    let objects = match Objects::create(pool, scenario) {
        Ok(objects) => objects,
        Err(error) => {
            println!("init: cannot make the scenario's endpoints and notifications: {error:?}");
            return 1;
        }
    };
    let made = caps::create(memory, ObjectKind::Endpoint, at(CONSOLE), 0)
        .and_then(|()| caps::create(memory, ObjectKind::Endpoint, at(TIMER), 0))
        .and_then(|()| caps::create(memory, ObjectKind::Notification, at(EXITS), 0));
    if let Err(error) = made {
        println!("init: cannot make the servers' endpoints and the exit notification: {error:?}");
        return 1;
    }
    if scenario.launches.len() > 64 {
        println!("init: {} processes are more than the exit notification's 64 bits", scenario.launches.len());
        return 1;
    }
    let mut failed = 0;
    let mut running = 0u64;
    for (n, launch) in scenario.launches.iter().enumerate() {
        let badge = Some(n as u64 + 1);
        let member = Membership { console_badge: badge, timer_badge: badge, exit_bit: Some(1 << n) };
        match start(&images, memory, pool, &objects, launch, &member) {
            true => running |= 1 << n,
            false => failed += 1,
        }
    }
    // The servers last, so that the scenario's processes have the first numbers. If one
    // cannot start, its clients' capabilities go: their calls fail (printing falls back to
    // the kernel's debug output) rather than wait for ever.
    let server = Membership { console_badge: None, timer_badge: None, exit_bit: None };
    let console_up = start(&images, memory, pool, &objects, &scenarios::CONSOLE, &server);
    if !console_up {
        let _ = caps::revoke(at(CONSOLE));
    }
    let server = Membership { console_badge: console_up.then_some(TIMER_SERVER_BADGE), ..server };
    let timer_up = start(&images, memory, pool, &objects, &scenarios::TIMER, &server);
    if !timer_up {
        let _ = caps::revoke(at(TIMER));
    }
    // The processes hold everything they need: init's capabilities to the scenario's objects
    // and to the pool go.
    objects.delete();
    let _ = caps::delete(pool);
    while running != 0 {
        match notify::wait(at(EXITS)) {
            Ok(ended) => running &= !ended,
            Err(error) => {
                println!("init: cannot wait for the processes to end: {error:?}");
                return 1;
            }
        }
    }
    if timer_up {
        if let Err(error) = Timer::new(at(TIMER)).stop() {
            println!("init: cannot stop the timer server: {error:?}");
            failed += 1;
        }
    }
    if console_up {
        if let Err(error) = console::stop(at(CONSOLE)) {
            println!("init: cannot stop the console server: {error:?}");
            failed += 1;
        }
    }
    u32::from(failed != 0)
}

/// Builds and starts the process `launch` describes; reports how that went.
fn start(
    images: &BootImages,
    memory: tryst::Slot,
    pool: tryst::Slot,
    objects: &Objects,
    launch: &scenarios::Launch,
    member: &Membership,
) -> bool {
    let Some(image) = images.find(launch.program) else {
        println!("init: no boot image called {}", launch.program);
        return false;
    };
    match process::spawn(memory, pool, objects, launch, image, member) {
        Ok(()) => {
            println!("init: started {} at priority {}", launch.program, launch.priority);
            true
        }
        Err(error) => {
            println!("init: cannot start {}: {error:?}", launch.program);
            false
        }
    }
}

/// The value of `scenario=` on the kernel command line.
fn scenario_name<'a>(images: &BootImages<'a>) -> Option<&'a str> {
    images.command_line().split_whitespace().find_map(|word| word.strip_prefix("scenario="))
}
