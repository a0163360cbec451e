//! A well-behaved process that does real work and checks its own answer: it outlives the
//! misbehaving processes in the fault scenarios to show the system goes on.
#![no_std]
#![no_main]

use tryst::println;

tryst::entry!(main);

const LIMIT: u64 = 10_000;
/// The sum of the primes below 10,000.
const EXPECTED: u64 = 5_736_396;

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d))
}

fn main(_: u64) -> u32 {
    let mut sum = 0;
    for n in 0..LIMIT {
        if is_prime(n) {
            sum += n;
        }
        if n % 2_500 == 0 {
            tryst::yield_now();
        }
    }
    if sum == EXPECTED {
        println!("worker: sum of primes below {LIMIT} is {sum}, as expected");
        0
    } else {
        println!("worker: sum of primes below {LIMIT} is {sum}, expected {EXPECTED}");
        1
    }
}
