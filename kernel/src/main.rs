//! Tryst's kernel: x86_64 arch glue around `ipc-core`. Boots through PVH, sets up the CPU,
//! memory and timer, starts init, and from then on only runs entries.
#![no_std]
#![no_main]
#![feature(rust_preserve_none_cc)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[macro_use]
mod serial;

mod boot;
mod cpu;
mod entry;
mod exit;
mod images;
mod launch;
mod memory;
mod ports;
mod process;
mod pvh;
mod space;
mod timer;
mod trap;

use core::panic::PanicInfo;

/// Scenarios that test the kernel itself before init starts (the others are init's:
/// `scenario=NAME` on the command line reaches init in its boot images).
const SELF_TESTS: &[(&str, SelfTest)] =
    &[("boot_memory_map", SelfTest::FrameAllocator), ("kernel_panic_reported", SelfTest::Panic)];

/// A kernel self-test.
#[derive(Clone, Copy)]
enum SelfTest {
    /// Drain and check the frame allocator (`memory::check_frame_allocator`).
    FrameAllocator,
    /// Panic on purpose, so the tests can see a panic reported and QEMU failing.
    Panic,
}

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

    let scenario = boot.cmdline_value("scenario");
    match SELF_TESTS.iter().find(|(name, _)| Some(*name) == scenario).map(|&(_, test)| test) {
        None => {}
        Some(SelfTest::FrameAllocator) => match memory::check_frame_allocator(&boot) {
            Ok(frames) => kprintln!(
                "tryst: frame allocator check passed: {frames} frames, all usable RAM, none in the kernel image, boot structures or page tables"
            ),
            Err(problem) => panic!("frame allocator check failed: {problem}"),
        },
        Some(SelfTest::Panic) => panic!("deliberate panic, as scenario {} asks", scenario.unwrap_or("?")),
    }
    // `fastpath=off` runs every IPC through the general path, so that both paths can be
    // measured and tested with one build.
    let fastpath = boot.cmdline_value("fastpath") != Some("off");
    entry::KERNEL.with(|kernel| kernel.set_fastpath(fastpath));
    kprintln!("tryst: IPC fastpath {}", if fastpath { "on" } else { "off (fastpath=off)" });
    launch::launch_init(boot.cmdline());
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
