//! Tries one forbidden thing, chosen by the argument, and reports if it was not stopped.
//! Every attempt here must end this process with a fault; the kernel reports it.
#![no_std]
#![no_main]

use core::arch::asm;

use tryst::println;

tryst::entry!(main);

/// Bytes of `ret`: code placed in data pages that must not run.
static mut DATA_CODE: [u8; 16] = [0xc3; 16];

const KERNEL_TEXT: u64 = 0xffff_ffff_8010_0000;
const KERNEL_DATA: u64 = 0xffff_ffff_8020_0000;
const DIRECT_MAP: u64 = 0xffff_8000_0010_0000;

fn main(attempt: u64) -> u32 {
    let name = match attempt {
        0 => "null read",
        1 => "kernel read",
        2 => "kernel write",
        3 => "direct-map read",
        4 => "jump to data",
        5 => "jump to stack",
        6 => "cli",
        7 => "hlt",
        8 => "out",
        9 => "mov cr3",
        10 => "wrmsr",
        11 => "ud2",
        12 => "divide by zero",
        13 => "int3",
        14 => "int 0x20",
        _ => {
            println!("fault: unknown attempt {attempt}");
            return 2;
        }
    };
    println!("fault: trying {name}");
    // SAFETY: none of these is safe; each must fault, and the kernel must stop this process.
    // That is the point of the program: it tests the kernel's protections.
    unsafe {
        match attempt {
            0 => asm!("mov {0}, [0]", out(reg) _),
            1 => asm!("mov {0}, [{1}]", out(reg) _, in(reg) KERNEL_TEXT),
            2 => asm!("mov [{0}], {0}", in(reg) KERNEL_DATA),
            3 => asm!("mov {0}, [{1}]", out(reg) _, in(reg) DIRECT_MAP),
            4 => asm!("call {0}", in(reg) core::ptr::addr_of!(DATA_CODE) as u64),
            5 => {
                let code = core::hint::black_box([0xc3u8; 16]);
                asm!("call {0}", in(reg) code.as_ptr() as u64);
            }
            6 => asm!("cli"),
            7 => asm!("hlt"),
            8 => asm!("out 0x80, al", in("al") 0u8),
            9 => asm!("mov cr3, {0}", in(reg) 0u64),
            10 => asm!("wrmsr", in("ecx") 0x10u32, in("eax") 0u32, in("edx") 0u32),
            11 => asm!("ud2"),
            13 => asm!("int3"),
            // The timer's vector: its gate is closed to user mode.
            14 => asm!("int 0x20"),
            _ => asm!("div {0}", in(reg) 0u64, inout("rax") 1u64 => _, inout("rdx") 0u64 => _),
        }
    }
    println!("fault: {name} did not fault!");
    1
}
