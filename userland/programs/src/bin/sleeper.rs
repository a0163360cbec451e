//! A high-priority process that sleeps, then holds the CPU for two ticks without blocking, a
//! few times over. While it holds the CPU no lower-priority process may run.
#![no_std]
#![no_main]

use tryst::println;

tryst::entry!(main);

const ROUNDS: u32 = 4;
const NAP: u64 = 3;
const BURST: u64 = 2;

fn main(_: u64) -> u32 {
    for round in 1..=ROUNDS {
        let before = tryst::now();
        let woke = match tryst::sleep(NAP) {
            Ok(tick) => tick,
            Err(error) => {
                println!("sleeper: sleep failed: {error:?}");
                return 1;
            }
        };
        if woke < before + NAP {
            println!("sleeper: woke at tick {woke}, before {}", before + NAP);
            return 1;
        }
        println!("sleeper: burst {round} begins at tick {woke}");
        while tryst::now() < woke + BURST {}
        println!("sleeper: burst {round} ends at tick {}", tryst::now());
    }
    0
}
