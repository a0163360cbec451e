//! The periodic timer: the PIT on IRQ 0 through the remapped 8259 PICs, at `TICK_HZ`.

use ipc_core::abi::TICK_HZ;
use pic8259::ChainedPics;
use spin::Mutex;
use x86_64::instructions::port::Port;

/// The vector of IRQ 0 after remapping (the first 32 vectors are CPU exceptions).
pub const PIC_BASE: u8 = 32;
/// The timer's vector.
pub const TIMER_VECTOR: u8 = PIC_BASE;
/// The PIT's input clock.
const PIT_HZ: u64 = 1_193_182;

static PICS: Mutex<ChainedPics> =
    // SAFETY: vectors 32..48 are free of CPU exceptions, and the IDT has stubs for them.
    Mutex::new(unsafe { ChainedPics::new(PIC_BASE, PIC_BASE + 8) });

/// Remaps the PICs, unmasks only the timer line, and starts the PIT.
pub fn init() {
    let mut pics = PICS.lock();
    // SAFETY: remaps the legacy PICs away from the exception vectors and masks every line but
    // IRQ 0; the IDT has stubs for vectors 32..48.
    unsafe {
        pics.initialize();
        pics.write_masks(0b1111_1110, 0b1111_1111);
    }
    let divisor = (PIT_HZ / TICK_HZ) as u16;
    let mut command = Port::<u8>::new(0x43);
    let mut channel0 = Port::<u8>::new(0x40);
    // SAFETY: programs PIT channel 0 as a rate generator (mode 2), low byte then high byte;
    // the PIT ports belong to this module alone.
    unsafe {
        command.write(0b0011_0100);
        channel0.write(divisor as u8);
        channel0.write((divisor >> 8) as u8);
    }
}

/// Acknowledges an interrupt from a PIC line.
pub fn end_of_interrupt(vector: u8) {
    // SAFETY: `vector` is a PIC vector that was just delivered.
    unsafe { PICS.lock().notify_end_of_interrupt(vector) };
}

/// Whether an unmasked PIC line has an interrupt waiting (its bit in a PIC's interrupt request
/// register): kernel work checks this at its preemption points.
pub fn interrupt_pending() -> bool {
    let mut pics = PICS.lock();
    let mut command = Port::<u8>::new(0x20);
    let mut command2 = Port::<u8>::new(0xa0);
    // SAFETY: OCW3 0x0a selects the interrupt request register for the next read of each
    // PIC's command port; reading it changes nothing. The PICs' state is this module's.
    let (requests, masks) = unsafe {
        command.write(0x0a);
        command2.write(0x0a);
        ([command.read(), command2.read()], pics.read_masks())
    };
    // The second PIC's lines reach the CPU through the first one's line 2.
    let cascade_open = masks[0] & 1 << 2 == 0;
    requests[0] & !masks[0] != 0 || (cascade_open && requests[1] & !masks[1] != 0)
}

/// Masks PIC line `line` (0–15).
pub fn mask_line(line: u8) {
    set_line_mask(line, true);
}

/// Unmasks PIC line `line` (0–15); a line of the second PIC also needs the cascade (line 2).
pub fn unmask_line(line: u8) {
    set_line_mask(line, false);
    if line >= 8 {
        set_line_mask(2, false);
    }
}

fn set_line_mask(line: u8, masked: bool) {
    let mut pics = PICS.lock();
    // SAFETY: reading and writing the PICs' mask registers only changes which lines
    // interrupt; every line has an IDT stub, and the timer's line is never passed here.
    unsafe {
        let mut masks = pics.read_masks();
        let (chip, bit) = (usize::from(line / 8), line % 8);
        if masked {
            masks[chip] |= 1 << bit;
        } else {
            masks[chip] &= !(1 << bit);
        }
        pics.write_masks(masks[0], masks[1]);
    }
}
