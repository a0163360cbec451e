//! init: the one process the kernel starts. It reads the scenario named on the kernel command
//! line (`scenario=NAME`, default `demo`), makes the scenario's endpoints and notifications,
//! builds each process from its ELF image in the boot images (see `init/process.rs`), starts
//! them all, and exits.
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

use tryst::abi::{BootImages, MEMORY_COST};
use tryst::{caps, println};

use process::Objects;

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
    let mut failed = 0;
    for launch in scenario.launches {
        let Some(image) = images.find(launch.program) else {
            println!("init: no boot image called {}", launch.program);
            failed += 1;
            continue;
        };
        match process::spawn(memory, pool, &objects, launch, image) {
            Ok(()) => println!("init: started {} at priority {}", launch.program, launch.priority),
            Err(error) => {
                println!("init: cannot start {}: {error:?}", launch.program);
                failed += 1;
            }
        }
    }
    // The processes hold everything they need; init's own capabilities go with it.
    objects.delete();
    let _ = caps::delete(pool);
    u32::from(failed != 0)
}

/// The value of `scenario=` on the kernel command line.
fn scenario_name<'a>(images: &BootImages<'a>) -> Option<&'a str> {
    images.command_line().split_whitespace().find_map(|word| word.strip_prefix("scenario="))
}
