//! The kernel as a state machine: every entry (system call, fault, timer tick) is one method
//! that runs to completion, and [`Kernel::schedule`] then names the thread to resume.
//!
//! Each system call's behaviour reads top to bottom in [`Kernel::syscall`].

use core::fmt::Write;

use crate::abi::{Syscall, DEBUG_WRITE_MAX};
use crate::fault::Fault;
use crate::machine::{Console, Machine};
use crate::sched::RunQueue;
use crate::thread::{Name, Priority, Thread, ThreadId, ThreadState, ThreadTable};

/// Timer ticks a thread runs before equal-priority threads get their turn.
pub const TIME_SLICE_TICKS: u32 = 2;

/// Why a thread could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The thread table is full.
    TooManyThreads,
}

/// All of the kernel's portable state.
pub struct Kernel {
    threads: ThreadTable,
    ready: RunQueue,
    /// The thread on the CPU; it is never in `ready`.
    current: Option<ThreadId>,
    /// Timer ticks since boot.
    now: u64,
}

impl Default for Kernel {
    fn default() -> Self {
        Self::new()
    }
}

impl Kernel {
    /// A kernel with no threads.
    pub const fn new() -> Self {
        Kernel { threads: ThreadTable::new(), ready: RunQueue::new(), current: None, now: 0 }
    }

    /// Creates a ready thread. The caller sets up its address space and registers under
    /// [`ThreadId::index`] before the thread is first scheduled.
    pub fn spawn(&mut self, name: &str, priority: Priority) -> Result<ThreadId, SpawnError> {
        let thread = Thread {
            name: Name::new(name),
            priority,
            slice_left: TIME_SLICE_TICKS,
            state: ThreadState::Ready,
        };
        let id = self.threads.insert(thread).ok_or(SpawnError::TooManyThreads)?;
        self.ready.push_back(id.raw_index(), priority);
        Ok(id)
    }

    /// The thread on the CPU, if any.
    pub fn current(&self) -> Option<ThreadId> {
        self.current
    }

    /// Timer ticks since boot.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// How many threads exist (in any state).
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// The thread `id` names, if it still exists.
    pub fn thread(&self, id: ThreadId) -> Option<&Thread> {
        self.threads.get(id)
    }

    /// Handles a system call by the current thread. Decodes, validates, and only then acts:
    /// a call that fails changes nothing but the caller's status slot.
    pub fn syscall<M: Machine>(&mut self, machine: &mut M, number: u64, args: [u64; 6]) {
        let Some(caller) = self.current else { return };
        let call = match Syscall::decode(number, args) {
            Ok(call) => call,
            Err(error) => return machine.set_result(caller, Err(error)),
        };
        match call {
            Syscall::DebugWrite { buf } => {
                // Copy all of it before writing any of it, so a bad page writes nothing.
                let mut bytes = [0u8; DEBUG_WRITE_MAX as usize];
                let bytes = &mut bytes[..buf.len as usize];
                let result = machine.read_user(caller, buf.addr, bytes).map(|()| {
                    machine.console_write(bytes);
                    buf.len
                });
                machine.set_result(caller, result);
            }
            Syscall::Yield => {
                machine.set_result(caller, Ok(0));
                self.give_up_cpu(caller, false);
            }
            Syscall::Exit { status } => {
                self.report(machine, caller, format_args!("exited with status {status}"));
                self.destroy(machine, caller);
            }
            Syscall::Sleep { ticks: 0 } => machine.set_result(caller, Ok(self.now)),
            Syscall::Sleep { ticks } => {
                // `ticks` is at most SLEEP_MAX_TICKS, so this cannot overflow for ages.
                let until = self.now.saturating_add(ticks);
                if let Some(thread) = self.threads.get_mut(caller) {
                    thread.state = ThreadState::Sleeping { until };
                }
                self.current = None;
            }
        }
    }

    /// The current thread took a CPU fault. With no fault handler to send it to (fault
    /// endpoints come later), the thread is stopped and reported; everyone else goes on.
    pub fn fault<M: Machine>(&mut self, machine: &mut M, fault: Fault) {
        let Some(thread) = self.current else { return };
        self.report(machine, thread, format_args!("stopped: {fault}"));
        self.destroy(machine, thread);
    }

    /// One timer tick: wakes sleepers whose time has come and charges the running thread.
    pub fn tick<M: Machine>(&mut self, machine: &mut M) {
        self.now += 1;
        let now = self.now;
        for (id, thread) in self.threads.iter_mut() {
            if matches!(thread.state, ThreadState::Sleeping { until } if until <= now) {
                thread.state = ThreadState::Ready;
                self.ready.push_back(id.raw_index(), thread.priority);
                machine.set_result(id, Ok(now));
            }
        }
        if let Some(current) = self.current {
            let expired = match self.threads.get_mut(current) {
                Some(thread) => {
                    thread.slice_left = thread.slice_left.saturating_sub(1);
                    thread.slice_left == 0
                }
                None => false,
            };
            if expired {
                self.give_up_cpu(current, false);
            }
        }
    }

    /// Chooses the thread to run: the current one, unless a strictly more urgent one is ready
    /// (then the current one keeps its place at the head of its queue). `None` means idle.
    pub fn schedule(&mut self) -> Option<ThreadId> {
        if let Some(current) = self.current {
            let priority = self.threads.get(current).map_or(0, |t| t.priority);
            match self.ready.highest_priority() {
                Some(ready) if ready > priority => self.give_up_cpu(current, true),
                _ => return Some(current),
            }
        }
        let index = self.ready.pop_highest()?;
        let id = self.threads.id_at(index)?;
        if let Some(thread) = self.threads.get_mut(id) {
            thread.state = ThreadState::Running;
        }
        self.current = Some(id);
        Some(id)
    }

    /// Takes `thread` off the CPU into the ready queue: at the head of its priority when it was
    /// preempted (it keeps the rest of its slice), at the tail with a fresh slice otherwise.
    fn give_up_cpu(&mut self, thread: ThreadId, preempted: bool) {
        let Some(state) = self.threads.get_mut(thread) else { return };
        state.state = ThreadState::Ready;
        let priority = state.priority;
        if preempted {
            self.ready.push_front(thread.raw_index(), priority);
        } else {
            state.slice_left = TIME_SLICE_TICKS;
            self.ready.push_back(thread.raw_index(), priority);
        }
        if self.current == Some(thread) {
            self.current = None;
        }
    }

    /// Removes a thread from everything that could still name it, then from the table.
    fn destroy<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        self.ready.remove(thread.raw_index());
        if self.current == Some(thread) {
            self.current = None;
        }
        if self.threads.remove(thread).is_some() {
            machine.release(thread);
        }
    }

    /// Prints `tryst: process N (name) <what>` on one line.
    fn report<M: Machine>(&self, machine: &mut M, thread: ThreadId, what: core::fmt::Arguments) {
        let name = self.threads.get(thread).map_or("?", |t| t.name.as_str());
        // Console::write_str never fails.
        let _ = writeln!(Console(machine), "tryst: process {} ({name}) {what}", thread.number());
    }
}

#[cfg(test)]
mod tests;
