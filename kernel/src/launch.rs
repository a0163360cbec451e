//! Boot-time processes: loads each program a scenario names, gives it a capability space with
//! its initial capabilities (its own space, the boot Memory capability, the scenario's
//! endpoints, its own thread) and writes its boot-info page (layout: `tryst_abi::BootInfo`).

use core::sync::atomic::Ordering;

use ipc_core::abi::{BootInfo, ObjectKind, Slot};
use ipc_core::cspace::SlotRef;
use ipc_core::frames::FRAME_SIZE;
use ipc_core::{Kernel, ThreadId, MAX_THREADS};

use crate::entry::{Hardware, FREE_FRAMES_BEFORE, IPC_BUFFERS, KERNEL, SPACE_ROOTS};
use crate::memory::FRAMES;
use crate::process;
use crate::scenarios::{self, Scenario};
use crate::space::AddressSpace;
use crate::trap::CONTEXTS;

/// Starts every process of `scenario`, ready to run.
pub fn launch(scenario: &Scenario) {
    FREE_FRAMES_BEFORE.store(FRAMES.lock().free_count() as u64, Ordering::Relaxed);
    let mut started = [None::<(ThreadId, u64)>; MAX_THREADS];
    for (launch, started) in scenario.launches.iter().zip(&mut started) {
        let Some(image) = scenarios::program(launch.program) else {
            panic!("scenario {} names unknown program {}", scenario.name, launch.program);
        };
        let loaded = process::load(image, launch.argument, &mut FRAMES.lock())
            .unwrap_or_else(|error| panic!("cannot load boot program {}: {error:?}", launch.program));
        let root = loaded.space.root();
        let thread = KERNEL
            .with(|kernel| kernel.spawn(launch.program, launch.priority))
            .unwrap_or_else(|error| panic!("cannot start boot program {}: {error:?}", launch.program));
        KERNEL
            .with(|kernel| kernel.boot_address_space(thread, root, at(kernel, thread, BootInfo::SPACE_SLOT)))
            .expect("boot address space");
        CONTEXTS.with(|contexts| contexts[thread.index()] = loaded.context);
        SPACE_ROOTS.with(|roots| roots[thread.index()] = root);
        IPC_BUFFERS.with(|buffers| buffers[thread.index()] = loaded.ipc_buffer);
        *started = Some((thread, loaded.boot_info));
        kprintln!(
            "tryst: started process {} ({}) at priority {}",
            thread.number(),
            launch.program,
            launch.priority
        );
    }
    let threads = || started.iter().flatten().map(|&(thread, _)| thread);
    let Some(first) = threads().next() else { return };
    let budget = FRAMES.lock().free_count() as u64 * FRAME_SIZE;
    KERNEL.with(|kernel| {
        for thread in threads() {
            kernel
                .give_thread_cap(thread, at(kernel, thread, BootInfo::THREAD_SLOT))
                .expect("boot thread cap");
        }
        let memory = at(kernel, first, BootInfo::MEMORY_SLOT);
        // The first process holds the original boot Memory capability, the others copies.
        kernel.boot_memory(memory, budget).expect("boot memory");
        for thread in threads().skip(1) {
            kernel
                .mint(memory, at(kernel, thread, BootInfo::MEMORY_SLOT), None, 0)
                .expect("boot memory copy");
        }
        // Each endpoint is made in a spare slot of the first process, minted into every slot
        // the scenario grants it to, and then the spare capability is deleted: the
        // processes' capabilities are all the endpoint has.
        for endpoint in 0..scenario.endpoint_count() {
            let spare = at(kernel, first, BootInfo::SPACE_SLOT - 1);
            kernel.create(&mut Hardware, memory, ObjectKind::Endpoint, spare, 0).expect("boot endpoint");
            for (launch, thread) in scenario.launches.iter().zip(threads()) {
                for (n, grant) in launch.caps.iter().enumerate() {
                    if grant.endpoint == endpoint {
                        let dest = at(kernel, thread, BootInfo::FIRST_ENDPOINT_SLOT + n as u64);
                        kernel
                            .mint(spare, dest, Some(grant.rights), grant.badge)
                            .expect("boot endpoint grant");
                    }
                }
            }
            kernel.delete(&mut Hardware, spare).expect("spare slot is occupied");
        }
    });
    for (launch, &(_, page)) in scenario.launches.iter().zip(started.iter().flatten()) {
        write_boot_info(page, launch.caps.len());
    }
}

/// Where boot thread `thread`'s slot `n` is.
fn at(kernel: &Kernel, thread: ThreadId, n: u64) -> SlotRef {
    let slot = Slot::new(n).expect("boot slots are in range");
    kernel.slot_of(thread, slot).expect("boot threads are alive")
}

/// Fills a boot-info page: the fixed slots, and `endpoints` endpoints from slot 2 on.
fn write_boot_info(page: u64, endpoints: usize) {
    let mut info = BootInfo {
        magic: BootInfo::MAGIC,
        cspace_slot: BootInfo::CSPACE_SLOT,
        memory_slot: BootInfo::MEMORY_SLOT,
        endpoint_count: endpoints as u64,
        endpoints: [0; BootInfo::MAX_ENDPOINTS],
        first_free_slot: BootInfo::FIRST_ENDPOINT_SLOT + endpoints as u64,
        thread_slot: BootInfo::THREAD_SLOT,
        space_slot: BootInfo::SPACE_SLOT,
    };
    for (n, slot) in info.endpoints.iter_mut().take(endpoints).enumerate() {
        *slot = BootInfo::FIRST_ENDPOINT_SLOT + n as u64;
    }
    for (n, word) in info.to_words().iter().enumerate() {
        AddressSpace::fill_frame(page, n * 8, &word.to_le_bytes());
    }
}
