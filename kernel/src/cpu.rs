//! CPU set-up: the GDT and TSS, the IDT, the protection features (NX, SMEP, SMAP, WP), and the
//! `syscall` MSRs.

use core::arch::x86_64::__cpuid_count;

use x86_64::instructions::tables::{lidt, load_tss};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::Msr;
use x86_64::registers::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::structures::DescriptorTablePointer;
use x86_64::{PrivilegeLevel, VirtAddr};

use crate::trap::{self, CpuLocal};

// The GDT order `syscall`/`sysret` require: kernel code, kernel data, user data, user code.
const KERNEL_CODE_SELECTOR: u16 = 0x08;
const KERNEL_DATA_SELECTOR: u16 = 0x10;
/// User data (and stack) segment, RPL 3.
pub const USER_DATA_SELECTOR: u16 = 0x18 | 3;
/// User code segment, RPL 3.
pub const USER_CODE_SELECTOR: u16 = 0x20 | 3;
const TSS_SELECTOR: u16 = 0x28;

/// IST slot (1-based in the IDT, 0-based in the TSS) for faults that need a known-good stack.
const EMERGENCY_IST: u16 = 0;
const EMERGENCY_STACK_SIZE: usize = 16 * 1024;

#[repr(align(16))]
struct Stack([u8; EMERGENCY_STACK_SIZE]);
static EMERGENCY_STACK: CpuLocal<Stack> = CpuLocal::new(Stack([0; EMERGENCY_STACK_SIZE]));

pub static TSS: CpuLocal<TaskStateSegment> = CpuLocal::new(TaskStateSegment::new());
static GDT: CpuLocal<GlobalDescriptorTable> = CpuLocal::new(GlobalDescriptorTable::new());
/// The vector of `int3` (#BP).
const BREAKPOINT_VECTOR: usize = 3;

static IDT: CpuLocal<Idt> = CpuLocal::new(Idt([Gate::MISSING; 256]));

/// One 64-bit IDT gate descriptor (Intel SDM vol. 3, 6.14.1).
#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    options: u16,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const MISSING: Gate =
        Gate { offset_low: 0, selector: 0, options: 0, offset_mid: 0, offset_high: 0, reserved: 0 };

    /// A present interrupt gate (interrupts off on entry) to `handler` in ring 0; `ist` is the
    /// 1-based IST slot or 0. `user_may_raise` gives it DPL 3, so that `int N` from user mode
    /// reaches it; with DPL 0, such an `int N` raises #GP instead.
    fn interrupt(handler: u64, ist: u16, user_may_raise: bool) -> Gate {
        let dpl = if user_may_raise { 3 << 13 } else { 0 };
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CODE_SELECTOR,
            options: 0x8e00 | dpl | ist,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

const IA32_STAR: u32 = 0xC000_0081;
const IA32_LSTAR: u32 = 0xC000_0082;
const IA32_FMASK: u32 = 0xC000_0084;
const IA32_EFER: u32 = 0xC000_0080;
const EFER_SCE: u64 = 1 << 0;
const EFER_NXE: u64 = 1 << 11;
/// RFLAGS cleared on `syscall`: TF, IF, DF, IOPL, NT, AC.
const SYSCALL_FLAG_MASK: u64 = (1 << 8) | (1 << 9) | (1 << 10) | (3 << 12) | (1 << 14) | (1 << 18);

/// Which protections the CPU offered and the kernel turned on.
pub struct Protections {
    pub smep: bool,
    pub smap: bool,
}

/// Loads the GDT, TSS and IDT and turns on the protection features and `syscall`.
pub fn init() -> Protections {
    load_descriptor_tables();
    load_idt();
    enable_syscall();
    enable_protections()
}

fn load_descriptor_tables() {
    let top = EMERGENCY_STACK.with(|stack| stack.0.as_ptr() as u64 + EMERGENCY_STACK_SIZE as u64);
    TSS.with(|tss| tss.interrupt_stack_table[usize::from(EMERGENCY_IST)] = VirtAddr::new(top));
    // SAFETY: TSS is a static that lives forever; the descriptor only records its address.
    let tss_descriptor = unsafe { Descriptor::tss_segment_unchecked(TSS.with(|tss| tss as *const _)) };
    GDT.with(|gdt| {
        let selectors = [
            gdt.append(Descriptor::kernel_code_segment()),
            gdt.append(Descriptor::kernel_data_segment()),
            gdt.append(Descriptor::user_data_segment()),
            gdt.append(Descriptor::user_code_segment()),
            gdt.append(tss_descriptor),
        ];
        let expected = [
            KERNEL_CODE_SELECTOR,
            KERNEL_DATA_SELECTOR,
            USER_DATA_SELECTOR & !3,
            USER_CODE_SELECTOR & !3,
            TSS_SELECTOR,
        ];
        for (selector, expected) in selectors.iter().zip(expected) {
            assert_eq!(selector.0 & !3, expected, "GDT layout");
        }
        // SAFETY: the GDT is a static that is never modified again.
        unsafe { gdt.load_unsafe() };
    });
    // SAFETY: the selectors name the descriptors just loaded.
    unsafe {
        CS::set_reg(SegmentSelector::new(1, PrivilegeLevel::Ring0));
        let data = SegmentSelector::new(2, PrivilegeLevel::Ring0);
        SS::set_reg(data);
        DS::set_reg(data);
        ES::set_reg(data);
        load_tss(SegmentSelector::new(5, PrivilegeLevel::Ring0));
    }
}

fn load_idt() {
    let stubs = trap::stub_addresses();
    IDT.with(|idt| {
        for (vector, &stub) in stubs.iter().enumerate() {
            // NMI, double fault, machine check: always on a known-good stack.
            let ist = if matches!(vector, 2 | 8 | 18) { EMERGENCY_IST + 1 } else { 0 };
            // `int3` is how a program asks for its debugger: a #BP, reported as a breakpoint.
            // Every other `int N` from user mode is a #GP.
            idt.0[vector] = Gate::interrupt(stub, ist, vector == BREAKPOINT_VECTOR);
        }
        let pointer = DescriptorTablePointer {
            limit: (core::mem::size_of::<Idt>() - 1) as u16,
            base: VirtAddr::new(idt as *const Idt as u64),
        };
        // SAFETY: the IDT is a static, every present gate points at a stub in trap.rs that
        // ends in iretq or never returns, and the table is not modified after this.
        unsafe { lidt(&pointer) };
    });
}

fn enable_syscall() {
    let star = (u64::from(USER_DATA_SELECTOR & !3) - 8) << 48 | u64::from(KERNEL_CODE_SELECTOR) << 32;
    // SAFETY: the selectors match the GDT; LSTAR is the syscall entry stub; FMASK turns off
    // interrupts and the dangerous flags on entry; setting SCE and NXE changes nothing else.
    unsafe {
        Msr::new(IA32_STAR).write(star);
        Msr::new(IA32_LSTAR).write(trap::syscall_entry_address());
        Msr::new(IA32_FMASK).write(SYSCALL_FLAG_MASK);
        let mut efer = Msr::new(IA32_EFER);
        let value = efer.read();
        efer.write(value | EFER_SCE | EFER_NXE);
    }
}

fn enable_protections() -> Protections {
    let leaf7 = __cpuid_count(7, 0);
    let smep = leaf7.ebx & (1 << 7) != 0;
    let smap = leaf7.ebx & (1 << 20) != 0;
    // SAFETY: WP makes the kernel honour read-only pages; EM|TS make user x87/SSE use fault
    // (the kernel does not switch FPU state); PGE keeps global kernel pages across CR3 loads.
    // SMEP/SMAP stop the kernel executing or touching user pages: it reads user memory only
    // through the direct map (usercopy.rs), never through user addresses.
    unsafe {
        Cr0::update(|cr0| {
            *cr0 |= Cr0Flags::WRITE_PROTECT | Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED
        });
        Cr4::update(|cr4| {
            *cr4 |= Cr4Flags::PAGE_GLOBAL;
            if smep {
                *cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
            }
            if smap {
                *cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
            }
        });
    }
    Protections { smep, smap }
}

/// Sets the stack the CPU switches to on an interrupt from user mode (TSS.rsp0): the end of
/// the current thread's saved context.
///
/// # Safety
/// `top` must be a canonical address (the end of a context in the kernel's own statics):
/// it is stored as it is, without the check `VirtAddr::new` would make.
pub unsafe fn set_kernel_entry_stack(top: u64) {
    // SAFETY: `top` is canonical (the caller's promise), which is all `VirtAddr` requires.
    let top = unsafe { VirtAddr::new_unsafe(top) };
    TSS.with(|tss| tss.privilege_stack_table[0] = top);
}
