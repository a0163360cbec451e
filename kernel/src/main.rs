//! Tryst's kernel: x86_64 arch glue around `ipc-core`. Boots through PVH, sets up the CPU,
//! memory and timer, starts the boot programs, and from then on only runs entries.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[macro_use]
mod serial;

mod boot;
mod cpu;
mod entry;
mod exit;
mod launch;
mod memory;
mod process;
mod pvh;
mod scenarios;
mod space;
mod timer;
mod trap;

use core::panic::PanicInfo;

use scenarios::SelfTest;

/// Called by the boot code in 64-bit mode, on the kernel stack, with the physical address of
/// the PVH start_info.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(start_info: u64) -> ! {
    // SAFETY: rdtsc only reads the time-stamp counter.
    let entry_tsc = unsafe { core::arch::x86_64::_rdtsc() };
    serial::init();
    kprintln!("tryst: booting (TSC {entry_tsc} at kernel entry)");
    let boot = pvh::BootInfo::read(start_info);
    memory::init_frames(&boot);
    memory::init_kernel_page_tables();
    let protections = cpu::init();
    kprintln!(
        "tryst: kernel in the higher half; NX on, SMEP {}, SMAP {}",
        on_off(protections.smep),
        on_off(protections.smap)
    );
    timer::init();

    let name = boot.cmdline_value("scenario").unwrap_or(scenarios::SCENARIOS[0].name);
    let Some(scenario) = scenarios::find(name) else {
        kprintln!("tryst: no scenario called {name:?}");
        exit::failure();
    };
    kprintln!("tryst: scenario {}", scenario.name);
    match scenario.self_test {
        SelfTest::None => {}
        SelfTest::FrameAllocator => match memory::check_frame_allocator(&boot) {
            Ok(frames) => kprintln!(
                "tryst: frame allocator check passed: {frames} frames, all usable RAM, none in the kernel image, boot structures or page tables"
            ),
            Err(problem) => panic!("frame allocator check failed: {problem}"),
        },
        SelfTest::Panic => panic!("deliberate panic, as scenario {} asks", scenario.name),
    }
    launch::launch(scenario);
    // Under `-icount shift=0` the TSC counts guest instructions since reset.
    // SAFETY: rdtsc only reads the time-stamp counter.
    let tsc = unsafe { core::arch::x86_64::_rdtsc() };
    kprintln!("tryst: entering user mode after {tsc} TSC ticks");
    entry::run_next()
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off (not offered by this CPU)"
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    serial::force_unlock();
    kprintln!("tryst: KERNEL PANIC: {info}");
    exit::failure()
}
