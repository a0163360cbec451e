//! The kernel as a state machine: every entry (system call, fault, timer tick) is one method
//! that runs to completion, and [`Kernel::schedule`] then names the thread to resume.
//!
//! [`Kernel::syscall`] dispatches each system call to the one method that holds its whole
//! behaviour: IPC in `kernel/ipc.rs`, capabilities and objects in `kernel/caps.rs`, frames
//! and address spaces in `kernel/pages.rs`, threads and capability spaces in
//! `kernel/threads.rs`, notifications and ASTs in `kernel/notify.rs`.

use core::fmt::Write;

use crate::abi::{
    BootInfo, Error, Rights, SendKind, Slot, SlotPath, Syscall, SyscallNumber, DEBUG_WRITE_MAX,
};
use crate::arena::Arena;
use crate::cspace::{CSpaceId, Capabilities, Capability, Object, SlotRef, MAX_CSPACES};
use crate::fault::Fault;
use crate::machine::{Console, Machine};
use crate::objects::{
    Endpoint, Memory, MemoryId, Notification, WaitLinks, MAX_ENDPOINTS, MAX_MEMORIES, MAX_NOTIFICATIONS,
};
use crate::pages::{AddressSpace, Frame, MAX_FRAMES, MAX_SPACES};
use crate::sched::RunQueue;
use crate::thread::{AstHandler, Priority, Sender, Thread, ThreadId, ThreadState, ThreadTable};
use ipc::InTransit;

mod caps;
mod devices;
mod fastpath;
mod ipc;
mod notify;
mod pages;
mod threads;

/// Timer ticks a thread runs before equal-priority threads get their turn.
pub const TIME_SLICE_TICKS: u32 = 2;

/// Why a thread could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The thread table (or the capability-space table) is full.
    TooManyThreads,
}

/// Live kernel objects, as `kernel_stats` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub threads: u64,
    pub endpoints: u64,
    pub memories: u64,
    pub capabilities: u64,
    pub cspaces: u64,
    pub frames: u64,
    pub spaces: u64,
    pub notifications: u64,
}

/// Where the CPU goes when a system call is done: the answer of [`Kernel::syscall`], so that
/// the entry redoes no decision the call already made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterSyscall {
    /// Straight back to the caller: the call changed nothing but its result registers, so
    /// its address space and entry stack are still the loaded ones, and no other thread
    /// became ready ([`Kernel::schedule`] would choose it again).
    Caller(ThreadId),
    /// To `thread`, which the fastpath put on the CPU (it is `current`, and
    /// [`Kernel::schedule`] would choose it): load its address space and resume it.
    Switch(ThreadId),
    /// To whichever thread [`Kernel::schedule`] chooses.
    Schedule,
}

/// All of the kernel's portable state.
pub struct Kernel {
    threads: ThreadTable,
    ready: RunQueue,
    /// The thread on the CPU; it is never in `ready`.
    current: Option<ThreadId>,
    /// Timer ticks since boot.
    now: u64,
    caps: Capabilities,
    endpoints: Arena<Endpoint, MAX_ENDPOINTS>,
    memories: Arena<Memory, MAX_MEMORIES>,
    frames: Arena<Frame, MAX_FRAMES>,
    spaces: Arena<AddressSpace, MAX_SPACES>,
    notifications: Arena<Notification, MAX_NOTIFICATIONS>,
    /// The interrupt lines user-space drivers hold.
    irq_lines: [devices::IrqLine; crate::abi::IRQ_LINES as usize],
    /// Links of the endpoint and notification queues.
    waiting: WaitLinks,
    /// Threads to end when this entry has done its work (see [`Ending`]): one after another,
    /// never by recursion, since ending one may doom more.
    ending: [Option<(ThreadId, Ending)>; crate::thread::MAX_THREADS],
    ending_count: usize,
    /// Capability spaces no thread uses and nothing outside names: destroyed at the end of
    /// the entry, for the same reason.
    doomed_cspaces: [Option<CSpaceId>; MAX_CSPACES],
    doomed_count: usize,
    /// Memory objects whose last capability went while objects were still charged to them:
    /// those objects are reclaimed at the end of the entry (see `reclaim_memory`).
    doomed_memories: [Option<MemoryId>; MAX_MEMORIES],
    doomed_memory_count: usize,
    /// Threads (one bit per table index) to offer their pending AST at the end of this
    /// entry, when their system call has its result.
    ast_due: u64,
    /// Whether this entry left work for its end (threads to end, capability spaces or
    /// Memory objects to reclaim, ASTs due): set with each of those, so that the entries
    /// that left none (almost all) pay for one test.
    work_left: bool,
    /// Whether `call` and `reply_recv` may take the fastpath (`kernel/fastpath.rs`); the
    /// boot option `fastpath=off` clears it, so that both paths run from one build.
    fastpath_enabled: bool,
}

// `ast_due` has a bit for every thread.
const _: () = assert!(crate::thread::MAX_THREADS <= 64);

/// Why a thread ends at the end of an entry.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// It is stopped on `Fault` and its fault handler went away.
    Orphaned(Fault),
    /// It is not running (never started, or suspended) and its last capability went.
    Unreachable,
}

impl Default for Kernel {
    fn default() -> Self {
        Self::new()
    }
}

impl Kernel {
    /// A kernel with no threads and no objects.
    pub const fn new() -> Self {
        Kernel {
            threads: ThreadTable::new(),
            ready: RunQueue::new(),
            current: None,
            now: 0,
            caps: Capabilities::new(),
            endpoints: Arena::new(),
            memories: Arena::new(),
            frames: Arena::new(),
            spaces: Arena::new(),
            notifications: Arena::new(),
            irq_lines: [devices::IrqLine { caps: 0, notification: None }; crate::abi::IRQ_LINES as usize],
            waiting: WaitLinks::new(),
            ending: [None; crate::thread::MAX_THREADS],
            ending_count: 0,
            doomed_cspaces: [None; MAX_CSPACES],
            doomed_count: 0,
            doomed_memories: [None; MAX_MEMORIES],
            doomed_memory_count: 0,
            ast_due: 0,
            work_left: false,
            fastpath_enabled: true,
        }
    }

    /// Turns the IPC fastpath on or off. Both paths have the same semantics; only the
    /// number of instructions differs.
    pub fn set_fastpath(&mut self, enabled: bool) {
        self.fastpath_enabled = enabled;
    }

    /// Creates a ready thread with a capability space of its own, whose capability sits in
    /// slot [`BootInfo::CSPACE_SLOT`]. The caller sets up its address space and registers under
    /// [`ThreadId::index`] before the thread is first scheduled.
    pub fn spawn(&mut self, name: &str, priority: Priority) -> Result<ThreadId, SpawnError> {
        let cspace = self.caps.create_space(None).ok_or(SpawnError::TooManyThreads)?;
        let mut thread = Thread::new(name, None);
        (thread.priority, thread.state, thread.cspace, thread.started) =
            (priority, ThreadState::Ready, Some(cspace), true);
        let Some(id) = self.threads.insert(thread) else {
            self.caps.destroy_space(cspace);
            return Err(SpawnError::TooManyThreads);
        };
        let slot = Slot::new(BootInfo::CSPACE_SLOT).expect("slot 0 exists");
        self.caps.insert_original(SlotRef { cspace, slot }, Capability::original(Object::CSpace(cspace)));
        if let Some(space) = self.caps.space_mut(cspace) {
            (space.caps, space.threads) = (1, 1);
        }
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

    /// How many objects of each kind exist.
    pub fn stats(&self) -> Stats {
        Stats {
            threads: self.threads.len() as u64,
            endpoints: self.endpoints.len() as u64,
            memories: self.memories.len() as u64,
            capabilities: self.caps.count() as u64,
            cspaces: self.caps.space_count() as u64,
            frames: self.frames.len() as u64,
            spaces: self.spaces.len() as u64,
            notifications: self.notifications.len() as u64,
        }
    }

    /// Where `thread`'s slot `slot` is; `None` when the thread is gone.
    pub fn slot_of(&self, thread: ThreadId, slot: Slot) -> Option<SlotRef> {
        Some(SlotRef { cspace: self.threads.get(thread)?.cspace?, slot })
    }

    /// Where `path`, given by a thread whose own capability space is `own`, leads: a slot of
    /// `own`, or of the space a CSpace capability with Write in `own` names.
    fn resolve(&self, own: CSpaceId, path: SlotPath) -> Result<SlotRef, Error> {
        let Some(through) = path.cspace else { return Ok(SlotRef { cspace: own, slot: path.slot }) };
        match self.caps.get(SlotRef { cspace: own, slot: through })? {
            Capability { object: Object::CSpace(cspace), rights, .. } if rights.contains(Rights::WRITE) => {
                Ok(SlotRef { cspace, slot: path.slot })
            }
            Capability { object: Object::CSpace(_), .. } => Err(Error::MissingRights),
            _ => Err(Error::WrongType),
        }
    }

    /// [`Kernel::resolve`] for a source and a destination.
    fn resolve_both(&self, own: CSpaceId, a: SlotPath, b: SlotPath) -> Result<(SlotRef, SlotRef), Error> {
        Ok((self.resolve(own, a)?, self.resolve(own, b)?))
    }

    /// Handles the system call the current thread just made: its number and arguments are
    /// in the machine ([`Machine::syscall_number`], [`Machine::arguments`]: each path reads
    /// what it needs, when it needs it). Decodes, validates, and only then acts: a call that
    /// fails changes nothing but the caller's status slot. Returns where the CPU goes next.
    pub fn syscall<M: Machine>(&mut self, machine: &mut M) -> AfterSyscall {
        let Some(caller) = self.current else { return AfterSyscall::Schedule };
        let number = machine.syscall_number(caller);
        if let Some(partner) = self.fastpath(machine, caller, number) {
            return AfterSyscall::Switch(partner);
        }
        // An unknown number is answered at once: it changed nothing, so there is nothing to
        // settle and nothing to schedule (the null system call measures this path).
        if SyscallNumber::try_from(number).is_err() {
            machine.set_result(caller, Err(Error::UnknownSyscall));
            return AfterSyscall::Caller(caller);
        }
        if (SyscallNumber::Send as u64..=SyscallNumber::NbRecv as u64).contains(&number) {
            self.ipc_syscall(machine, caller, number);
        } else {
            self.dispatch(machine, caller, number);
        }
        self.settle(machine);
        AfterSyscall::Schedule
    }

    /// The body of [`Kernel::syscall`]: decodes the call of thread `caller`, then one arm per
    /// system call. Never inlined, so that the fastpath in front of it keeps the registers to
    /// itself; the decoder is inlined into it, so that decoding and dispatching are one
    /// branch on the number. It saves no registers (`rust-preserve-none`, as `ipc_syscall`).
    #[inline(never)]
    extern "rust-preserve-none" fn dispatch<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        number: u64,
    ) {
        let call = match Syscall::decode(number, machine.arguments(caller)) {
            Ok(call) => call,
            Err(error) => return failed(machine, caller, error),
        };
        // `current` always names a live, configured thread.
        let Some(cspace) = self.threads.get(caller).and_then(|t| t.cspace) else { return };
        let at = |slot: Slot| SlotRef { cspace, slot };
        let done =
            |machine: &mut M, result: Result<(), Error>| machine.set_result(caller, result.map(|()| 0));
        match call {
            Syscall::DebugWrite { buf } => {
                let result = debug_write(machine, caller, buf);
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
                self.block(caller, ThreadState::Sleeping { until: self.now.saturating_add(ticks) });
            }
            // `syscall` sends these to `ipc_syscall` directly.
            Syscall::Send { .. }
            | Syscall::Recv { .. }
            | Syscall::Reply { .. }
            | Syscall::ReplyRecv { .. } => self.ipc_syscall(machine, caller, number),
            Syscall::CapMint { source, dest, rights, badge } => {
                let result =
                    self.resolve_both(cspace, source, dest).and_then(|(s, d)| self.mint(s, d, rights, badge));
                done(machine, result);
            }
            Syscall::CapMove { source, dest } => {
                let result = self.resolve_both(cspace, source, dest).and_then(|(s, d)| self.move_cap(s, d));
                done(machine, result);
            }
            Syscall::CapDelete { slot } => {
                let result = self.resolve(cspace, slot).and_then(|at| self.delete_cap(machine, at));
                done(machine, result);
            }
            Syscall::CapRevoke { slot } => {
                match self.resolve(cspace, slot).and_then(|at| self.revoke(machine, at)) {
                    // Stopped at a preemption point: the caller makes the call again when it
                    // next runs, after the interrupt.
                    Ok(caps::Revoked::Preempted) => machine.restart_syscall(caller),
                    result => done(machine, result.map(drop)),
                }
            }
            Syscall::CapIdentify { slot } => {
                match self.resolve(cspace, slot).and_then(|at| self.caps.get(at)) {
                    Ok(cap) => {
                        let kind = u64::from(cap.object.kind());
                        let (mapped, vaddr) = cap.mapping.map_or((0, 0), |m| (1, m.vaddr));
                        machine.set_values(caller, [kind, cap.rights.bits(), cap.badge, mapped, vaddr, 0]);
                    }
                    Err(error) => machine.set_result(caller, Err(error)),
                }
            }
            Syscall::Create { memory, kind, dest, budget } => {
                let result = self
                    .resolve(cspace, dest)
                    .and_then(|dest| self.create(machine, at(memory), kind, dest, budget));
                done(machine, result);
            }
            Syscall::MemoryInfo { memory } => match self.memory_info(at(memory)) {
                Ok((budget, used)) => machine.set_values(caller, [budget, used, 0, 0, 0, 0]),
                Err(error) => machine.set_result(caller, Err(error)),
            },
            Syscall::KernelStats => {
                let s = self.stats();
                let counts = [s.threads, s.endpoints, s.memories, s.capabilities, s.cspaces, s.frames];
                machine.set_values(caller, counts);
            }
            Syscall::ThreadDestroy { thread } => match self.thread_with(at(thread), Rights::WRITE) {
                Ok(target) => {
                    if target != caller {
                        machine.set_result(caller, Ok(0));
                    }
                    let by = caller.number();
                    self.report(machine, target, format_args!("destroyed by process {by}"));
                    self.destroy(machine, target);
                }
                Err(error) => machine.set_result(caller, Err(error)),
            },
            Syscall::Map { space, frame, vaddr, rights } => {
                let result = self.map(machine, at(space), at(frame), vaddr, rights);
                done(machine, result);
            }
            Syscall::Unmap { frame } => {
                let result = self.unmap(machine, at(frame));
                done(machine, result);
            }
            Syscall::ThreadSetFaultHandler { thread, handler } => {
                let result = self.thread_with(at(thread), Rights::WRITE).map(|target| {
                    if let Some(t) = self.threads.get_mut(target) {
                        t.fault_handler = handler;
                    }
                });
                done(machine, result);
            }
            Syscall::ThreadConfigure { thread, cspace: space_of_caps, space, ipc_buffer, priority } => {
                let result = self.configure(
                    machine,
                    caller,
                    at(thread),
                    [at(space_of_caps), at(space), at(ipc_buffer)],
                    priority,
                );
                done(machine, result);
            }
            Syscall::ThreadStart { thread, ip, sp, argument } => {
                let result = self.start(machine, at(thread), ip, sp, argument);
                done(machine, result);
            }
            Syscall::ThreadSuspend { thread } => {
                // Set first: a thread suspending itself keeps it for when it is resumed.
                let target = self.thread_with(at(thread), Rights::WRITE);
                done(machine, target.map(|_| ()));
                if let Ok(target) = target {
                    self.suspend(machine, target);
                }
            }
            Syscall::ThreadResume { thread } => {
                let result = self.thread_with(at(thread), Rights::WRITE).map(|target| self.resume(target));
                done(machine, result);
            }
            Syscall::ThreadNotifyExit { thread, notification } => {
                let result = self
                    .thread_with(at(thread), Rights::WRITE)
                    .and_then(|target| self.notify_exit(target, at(notification)));
                done(machine, result);
            }
            Syscall::ThreadInfo { thread } => match self.thread_info(caller, at(thread)) {
                Ok(values) => machine.set_values(caller, values),
                Err(error) => machine.set_result(caller, Err(error)),
            },
            Syscall::EndpointStats { endpoint } => match self.endpoint_stats(at(endpoint)) {
                Ok(s) => machine.set_values(caller, [s.messages, s.calls, s.replies, s.caps, 0, 0]),
                Err(error) => machine.set_result(caller, Err(error)),
            },
            Syscall::ThreadSetName { thread, name } => {
                let result = self.set_name(machine, caller, at(thread), name);
                done(machine, result);
            }
            Syscall::Signal { notification } => {
                let result = self.signal(machine, at(notification));
                done(machine, result);
            }
            Syscall::Wait { notification, blocking } => {
                if let Err(error) = self.wait(machine, caller, at(notification), blocking) {
                    machine.set_result(caller, Err(error));
                }
            }
            Syscall::NotificationBind { thread, notification, mode } => {
                let result = self.bind(machine, at(thread), at(notification), mode);
                done(machine, result);
            }
            Syscall::NotificationUnbind { thread } => {
                let result = self.unbind(at(thread));
                done(machine, result);
            }
            Syscall::AstSetHandler { thread, entry, stack } => {
                let result = self.set_ast_handler(at(thread), AstHandler { entry, stack });
                done(machine, result);
            }
            Syscall::AstMask { masked } => {
                let was = self.mask_ast(caller, masked);
                machine.set_result(caller, Ok(u64::from(was)));
            }
            Syscall::IrqControlGet { control, line, dest } => {
                let result =
                    self.resolve(cspace, dest).and_then(|dest| self.irq_control_get(at(control), line, dest));
                done(machine, result);
            }
            Syscall::IrqSetNotification { handler, notification } => {
                let result = self.irq_set_notification(machine, at(handler), at(notification));
                done(machine, result);
            }
            Syscall::IrqAck { handler } => {
                let result = self.irq_ack(machine, at(handler));
                done(machine, result);
            }
            Syscall::IoPortIssue { ports, first, count, dest } => {
                let result = self
                    .resolve(cspace, dest)
                    .and_then(|dest| self.io_port_issue(at(ports), first, count, dest));
                done(machine, result);
            }
            Syscall::PortIn { ports, port, width } => {
                let result = self.port_in(machine, at(ports), port, width);
                machine.set_result(caller, result);
            }
            Syscall::PortOut { ports, port, width, value } => {
                let result = self.port_out(machine, at(ports), port, width, value);
                done(machine, result);
            }
            Syscall::AstReturn => {
                // On success the interrupted context is back, its registers untouched.
                if let Err(error) = self.ast_return(machine, caller) {
                    machine.set_result(caller, Err(error));
                }
            }
        }
    }

    /// The IPC system calls (`send` to `nb_recv`, numbers 4 to 10), decoded as
    /// [`Syscall::decode`] decodes them and carried out in a function of their own: the
    /// rest of the kernel's calls do not weigh on their registers and stack. Like `dispatch`,
    /// it uses the `rust-preserve-none` calling convention: it saves none of the caller's
    /// registers, since its caller (the system-call entry) keeps nothing in them.
    #[inline(never)]
    extern "rust-preserve-none" fn ipc_syscall<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        number: u64,
    ) {
        let args = machine.arguments(caller);
        // `current` always names a live, configured thread.
        let Some(cspace) = self.threads.get(caller).and_then(|t| t.cspace) else { return };
        let endpoint = || Slot::new(args[0]).map(|slot| SlotRef { cspace, slot });
        let message = || InTransit::sent(args[1]);
        const SEND: u64 = SyscallNumber::Send as u64;
        const CALL: u64 = SyscallNumber::Call as u64;
        const NB_SEND: u64 = SyscallNumber::NbSend as u64;
        const RECV: u64 = SyscallNumber::Recv as u64;
        const NB_RECV: u64 = SyscallNumber::NbRecv as u64;
        const REPLY: u64 = SyscallNumber::Reply as u64;
        let result = match number {
            SEND | CALL | NB_SEND => {
                let kind = match number {
                    SEND => SendKind::Send,
                    CALL => SendKind::Call,
                    _ => SendKind::NonBlocking,
                };
                endpoint().and_then(|at| self.send(machine, caller, at, message()?, kind))
            }
            RECV | NB_RECV => endpoint().and_then(|at| self.recv(machine, caller, at, number == RECV)),
            REPLY => {
                let result = message().and_then(|m| self.reply(machine, caller, m));
                machine.set_result(caller, result.map(|()| 0));
                return;
            }
            _ => endpoint().and_then(|at| self.reply_recv(machine, caller, at, message()?)),
        };
        if let Err(error) = result {
            failed(machine, caller, error);
        }
    }

    /// The current thread took a CPU fault. If its fault-handler slot holds an endpoint
    /// capability with Write, the thread `call`s that endpoint with the fault as the message
    /// (see [`Fault::message`]); the handler's reply resumes it at the faulting instruction,
    /// with its registers as they were. Otherwise the thread is stopped and reported, and
    /// everyone else goes on.
    pub fn fault<M: Machine>(&mut self, machine: &mut M, fault: Fault) {
        let Some(thread) = self.current else { return };
        let handler = self.threads.get(thread).and_then(|t| t.fault_handler);
        let endpoint =
            handler.and_then(|slot| self.slot_of(thread, slot)).and_then(|at| self.caps.get(at).ok());
        match endpoint {
            Some(cap @ Capability { object: Object::Endpoint(endpoint), .. })
                if cap.rights.contains(Rights::WRITE) =>
            {
                if let Some(t) = self.threads.get_mut(thread) {
                    t.fault = Some(fault);
                }
                let sender = Sender { badge: cap.badge, grant: false, call: Some(false) };
                self.deliver(machine, thread, endpoint, sender, InTransit::made(fault.message()));
            }
            _ => {
                self.report(machine, thread, format_args!("stopped: {fault}"));
                self.destroy(machine, thread);
            }
        }
        self.settle(machine);
    }

    /// The thread the capability at `slot` names, if it has `rights` (a capability only names
    /// a live thread: they are deleted when it ends).
    fn thread_with(&self, slot: SlotRef, rights: Rights) -> Result<ThreadId, Error> {
        match self.caps.get(slot)? {
            Capability { object: Object::Thread(thread), rights: has, .. } if has.contains(rights) => {
                Ok(thread)
            }
            Capability { object: Object::Thread(_), .. } => Err(Error::MissingRights),
            _ => Err(Error::WrongType),
        }
    }

    /// Finishes an entry: ends the threads, destroys the capability spaces and reclaims the
    /// Memory objects it doomed, until that dooms no more, then starts the AST handlers that
    /// became due. A reclamation stops when an interrupt waits; its Memory object stays
    /// doomed, and the end of the next entry (the interrupt's, say) goes on with it. Almost
    /// every entry does none of this: that check is all it costs them.
    #[inline(always)]
    fn settle<M: Machine>(&mut self, machine: &mut M) {
        if self.work_left {
            self.settle_doomed(machine);
            self.deliver_due_asts(machine);
            let doomed = self.ending_count | self.doomed_count | self.doomed_memory_count;
            self.work_left = (doomed as u64 | self.ast_due) != 0;
        }
    }

    /// The work of [`Kernel::settle`] when there is some.
    #[cold]
    #[inline(never)]
    fn settle_doomed<M: Machine>(&mut self, machine: &mut M) {
        loop {
            if self.ending_count > 0 {
                self.ending_count -= 1;
                let Some((thread, why)) = self.ending[self.ending_count].take() else { continue };
                match why {
                    Ending::Orphaned(fault) => {
                        let why = format_args!("stopped: {fault} (its fault handler is gone)");
                        self.report(machine, thread, why);
                    }
                    Ending::Unreachable if self.threads.get(thread).is_some_and(|t| t.started) => {
                        self.report(machine, thread, format_args!("destroyed: no capability to it is left"));
                    }
                    Ending::Unreachable => {}
                }
                self.destroy(machine, thread);
            } else if self.doomed_count > 0 {
                self.doomed_count -= 1;
                if let Some(cspace) = self.doomed_cspaces[self.doomed_count].take() {
                    if self.cspace_is_unreachable(cspace) {
                        self.destroy_cspace(machine, cspace);
                    }
                }
            } else if self.doomed_memory_count > 0 {
                self.doomed_memory_count -= 1;
                let Some(memory) = self.doomed_memories[self.doomed_memory_count].take() else { continue };
                if self.reclaim_memory(machine, memory) == caps::Revoked::Preempted {
                    // Still doomed: the end of the next entry goes on with it.
                    return;
                }
            } else {
                return;
            }
        }
    }

    /// Ends `thread` when this entry has done its work.
    fn end_later(&mut self, thread: ThreadId, why: Ending) {
        let listed = self.ending[..self.ending_count].iter().flatten().any(|&(t, _)| t == thread);
        if let (false, Some(slot)) = (listed, self.ending.get_mut(self.ending_count)) {
            *slot = Some((thread, why));
            self.ending_count += 1;
            self.work_left = true;
        }
    }

    /// One timer tick: wakes sleepers whose time has come and charges the running thread.
    pub fn tick<M: Machine>(&mut self, machine: &mut M) {
        self.now += 1;
        let now = self.now;
        // The thread the tick interrupted (none while idle): a sleeper woken now may take the
        // free CPU at once, and is not charged for a tick it did not run.
        let running = self.current;
        let mut woken = [None; crate::thread::MAX_THREADS];
        let sleepers = self
            .threads
            .iter()
            .filter(|(_, t)| matches!(t.state, ThreadState::Sleeping { until } if until <= now));
        for (slot, (id, _)) in woken.iter_mut().zip(sleepers) {
            *slot = Some(id);
        }
        for id in woken.into_iter().flatten() {
            machine.set_result(id, Ok(now));
            self.make_ready(id);
        }
        if let Some(current) = running {
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
        self.settle(machine);
    }

    /// Chooses the thread to run: the current one, unless a strictly more urgent one is ready
    /// (then the current one keeps its place at the head of its queue). `None` means idle.
    /// A current thread chosen before stays chosen without a look at the queue when no thread
    /// has become ready since: this is what makes returning from a system call cheap.
    #[inline]
    pub fn schedule(&mut self) -> Option<ThreadId> {
        match self.current {
            Some(current) if !self.ready.take_arrivals() => Some(current),
            _ => self.choose(),
        }
    }

    /// [`Kernel::schedule`] when threads became ready, or none runs: looks at the queue.
    #[inline(never)]
    fn choose(&mut self) -> Option<ThreadId> {
        if let Some(current) = self.current {
            let priority = self.threads.get(current).map_or(0, |t| t.priority);
            match self.ready.highest_priority() {
                Some(ready) if ready > priority => self.give_up_cpu(current, true),
                _ => return Some(current),
            }
        }
        let index = self.ready.pop_highest()?;
        // The most urgent thread is chosen: what is still queued is no more urgent.
        self.ready.take_arrivals();
        let id = self.threads.handle_at(index)?;
        if let Some(thread) = self.threads.get_mut(id) {
            thread.state = ThreadState::Running;
        }
        self.current = Some(id);
        Some(id)
    }

    /// Takes `thread` off the CPU into the ready queue: at the head of its priority when it was
    /// preempted (it keeps the rest of its slice), at the tail with a fresh slice otherwise.
    #[inline]
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

    /// The current thread stops running until something moves it out of `state`.
    #[inline(always)]
    fn block(&mut self, thread: ThreadId, state: ThreadState) {
        if let Some(t) = self.threads.get_mut(thread) {
            t.state = state;
        }
        if self.current == Some(thread) {
            self.current = None;
        }
    }

    /// A blocked thread becomes ready, with `result` as what its system call returns.
    /// A thread stopped on a fault cannot take an error as a result: when its handler or the
    /// handler's endpoint goes, it is stopped and reported as if it had no handler.
    #[inline]
    fn wake<M: Machine>(&mut self, machine: &mut M, thread: ThreadId, result: Result<u64, Error>) {
        if let (Some(fault), Err(_)) = (self.threads.get(thread).and_then(|t| t.fault), result) {
            // It waits, answered by no one, until the end of this entry stops it.
            if let Some(t) = self.threads.get_mut(thread) {
                t.fault = None;
                t.state = ThreadState::AwaitingReply;
            }
            self.end_later(thread, Ending::Orphaned(fault));
            return;
        }
        machine.set_result(thread, result);
        self.make_ready(thread);
    }

    /// A blocked (or newly started) thread becomes ready, its result already set; a
    /// suspended one becomes inactive instead, until it is resumed.
    #[inline(always)]
    fn make_ready(&mut self, thread: ThreadId) {
        let Some(t) = self.threads.get_mut(thread) else { return };
        t.slice_left = TIME_SLICE_TICKS;
        if t.suspended {
            t.state = ThreadState::Inactive;
            return;
        }
        if t.binding.is_some_and(|b| b.ast) {
            self.ast_due |= 1 << thread.index();
            self.work_left = true;
        }
        // The CPU is free (its thread just blocked) and no ready thread is as urgent: the
        // scheduler would take this one straight back off the queue, so it runs at once. A
        // more urgent thread made ready later in this entry still preempts it, ahead of its
        // equals, exactly where the queue would have kept it.
        if self.current.is_none() && self.ready.is_outranked_by(t.priority) {
            t.state = ThreadState::Running;
            self.current = Some(thread);
            return;
        }
        t.state = ThreadState::Ready;
        self.ready.push_back(thread.raw_index(), t.priority);
    }

    /// Removes a thread from everything that could still name it, then from the table: it
    /// leaves any queue, the call it owed an answer fails, capabilities to it are deleted, and
    /// it leaves its capability space and address space (each goes with its last thread) and
    /// its IPC buffer. Last, its exit notification is signalled.
    fn destroy<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        let Some(t) = self.threads.get(thread) else { return };
        let (state, cspace, space, ipc_buffer, memory) = (t.state, t.cspace, t.space, t.ipc_buffer, t.memory);
        let exit_notification = t.exit_notification;
        match state {
            ThreadState::Ready => self.ready.remove(thread.raw_index()),
            ThreadState::Sending { endpoint, .. } => self.dequeue(endpoint, thread, true),
            ThreadState::Receiving { endpoint } => self.dequeue(endpoint, thread, false),
            ThreadState::Waiting { notification } => self.stop_waiting(notification, thread),
            ThreadState::Inactive
            | ThreadState::Running
            | ThreadState::Sleeping { .. }
            | ThreadState::AwaitingReply => {}
        }
        if let Some(t) = self.threads.get_mut(thread) {
            // Out of every queue: nothing can make it ready while the rest goes.
            (t.state, t.suspended) = (ThreadState::Inactive, true);
        }
        self.drop_reply_right(machine, thread);
        if let Some(binding) = self.threads.get(thread).and_then(|t| t.binding) {
            self.unbind_notification(thread, binding.notification);
        }
        self.delete_all_naming(machine, |object| object == Object::Thread(thread));
        if let Some(cspace) = cspace {
            self.leave_cspace(machine, cspace);
        }
        if let Some(space) = space {
            self.leave_address_space(machine, space);
        }
        if let Some(frame) = ipc_buffer {
            self.stop_using_frame(machine, frame);
        }
        if self.current == Some(thread) {
            self.current = None;
        }
        if self.threads.remove(thread).is_some() {
            machine.release(thread);
            if let Some(memory) = memory {
                self.uncharge(memory, crate::abi::THREAD_COST);
            }
        }
        if let Some((notification, bits)) = exit_notification {
            self.notify(machine, notification, bits);
        }
    }

    /// Prints `tryst: process N (name) <what>` on one line.
    fn report<M: Machine>(&self, machine: &mut M, thread: ThreadId, what: core::fmt::Arguments) {
        let name = self.threads.get(thread).map_or("?", |t| t.name.as_str());
        // Console::write_str never fails.
        let _ = writeln!(Console(machine), "tryst: process {} ({name}) {what}", thread.number());
    }
}

/// A system call of `caller` failed with `error`: out of line and cold, so that the checks
/// that lead here keep their error codes off the path where they pass.
#[cold]
#[inline(never)]
fn failed<M: Machine>(machine: &mut M, caller: ThreadId, error: Error) {
    machine.set_result(caller, Err(error));
}

/// `debug_write`: copies all of `buf` before writing any of it, so a bad page writes nothing.
/// Out of line, so that its page-sized buffer stays off the stack of every other call.
#[inline(never)]
fn debug_write<M: Machine>(
    machine: &mut M,
    caller: ThreadId,
    buf: crate::abi::UserBuffer,
) -> Result<u64, Error> {
    let mut bytes = [0u8; DEBUG_WRITE_MAX as usize];
    let bytes = &mut bytes[..buf.len as usize];
    machine.read_user(caller, buf.addr, bytes)?;
    machine.console_write(bytes);
    Ok(buf.len)
}

#[cfg(test)]
mod devices_tests;
#[cfg(test)]
mod fastpath_tests;
#[cfg(test)]
mod ipc_tests;
#[cfg(test)]
mod model;
#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod pages_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod threads_tests;
