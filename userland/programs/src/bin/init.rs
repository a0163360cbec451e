//! init: the one process the kernel starts. It reads the scenario named on the kernel command
//! line (`scenario=NAME`, default `demo`), makes the scenario's endpoints, builds each process
//! from its ELF image in the boot images (see `init/process.rs`), starts them all, and exits.
//! It runs at the highest priority, so every process is in place before any of them runs.
#![no_std]
#![no_main]

#[path = "init/process.rs"]
mod process;
#[path = "init/scenarios/mod.rs"]
mod scenarios;

use tryst::abi::{BootImages, BootInfo};
use tryst::{caps, println, Slot};

use process::Endpoints;

tryst::entry!(main);

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
    let memory = slot(boot.memory_slot);
    let endpoints = match Endpoints::create(memory, scenario.endpoint_count()) {
        Ok(endpoints) => endpoints,
        Err(error) => {
            println!("init: cannot make the scenario's endpoints: {error:?}");
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
        match process::spawn(memory, &endpoints, launch, image) {
            Ok(()) => println!("init: started {} at priority {}", launch.program, launch.priority),
            Err(error) => {
                println!("init: cannot start {}: {error:?}", launch.program);
                failed += 1;
            }
        }
    }
    // The processes hold everything they need; init's own capabilities go with it.
    endpoints.delete();
    u32::from(failed != 0)
}

/// The value of `scenario=` on the kernel command line.
fn scenario_name<'a>(images: &BootImages<'a>) -> Option<&'a str> {
    images.command_line().split_whitespace().find_map(|word| word.strip_prefix("scenario="))
}

fn slot(n: u64) -> Slot {
    // init's boot-info slots are the kernel's fixed ones, all in range.
    caps::slot(n).unwrap_or_else(|_| panic!("boot slot {n} out of range ({:?})", BootInfo::MAGIC))
}
