//! The scenarios init can build: sets of processes, each from a boot image, with its
//! priority, argument and endpoint capabilities. `make run` boots `demo`; the QEMU tests boot
//! one each, chosen by `scenario=NAME` on the kernel command line.

use tryst::abi::{ObjectKind, Rights};

mod caps;
mod fuzz;
mod ipc;
mod mem;
mod notify;
mod ring;
mod shm;
mod system;

/// One process to start. Besides its grants, every process gets capabilities to the console
/// and timer servers and the name service (see `tryst::console`, `tryst::timer` and
/// `tryst::names`).
pub struct Launch {
    pub program: &'static str,
    pub priority: u8,
    /// Passed to the program's `main` in `rdi` (through `options`, if it has them).
    pub argument: u64,
    /// Computes the argument from the kernel command line and `argument`: how a run is
    /// parameterized at boot (`make fuzz SEED=… CALLS=…`).
    pub options: Option<fn(command_line: &str, argument: u64) -> u64>,
    /// The endpoint and notification capabilities it starts with, in slots 2, 3, … in this
    /// order.
    pub caps: &'static [Grant],
    /// Bytes of kernel memory of its own: everything it is built from and everything it makes
    /// is charged to a Memory object of this budget, which is also its Memory capability.
    /// 0: it is built from init's reserve and shares the scenario's pool.
    pub budget: u64,
    /// Whether init starts it again from its image when it ends (needs a budget).
    pub restart: bool,
    /// The names it may register with the name service.
    pub registers: &'static [&'static str],
    /// The names it may look up.
    pub looks_up: &'static [&'static str],
}

impl Launch {
    /// The same, with `budget` bytes of its own.
    pub const fn budgeted(self, budget: u64) -> Launch {
        Launch { budget, ..self }
    }

    /// The same, with `budget` bytes of its own, restarted whenever it ends.
    pub const fn supervised(self, budget: u64) -> Launch {
        Launch { budget, restart: true, ..self }
    }

    /// The same, with its argument computed by `options` from the kernel command line.
    pub const fn with_options(self, options: fn(&str, u64) -> u64) -> Launch {
        Launch { options: Some(options), ..self }
    }

    /// The argument `main` receives when the kernel command line is `command_line`.
    pub fn argument_for(&self, command_line: &str) -> u64 {
        self.options.map_or(self.argument, |options| options(command_line, self.argument))
    }

    /// The same, allowed to register `names`.
    pub const fn registering(self, names: &'static [&'static str]) -> Launch {
        Launch { registers: names, ..self }
    }

    /// The same, allowed to look `names` up.
    pub const fn looking_up(self, names: &'static [&'static str]) -> Launch {
        Launch { looks_up: names, ..self }
    }
}

/// A capability a process is given.
#[derive(PartialEq)]
pub enum Grant {
    /// To one of the scenario's endpoints or notifications.
    Object {
        /// Which (numbered from 0; shared by every launch naming it).
        object: u8,
        /// What it is: an endpoint or a notification (every grant naming it must agree).
        kind: ObjectKind,
        rights: Rights,
        badge: u64,
    },
    /// The IrqHandler for an interrupt line (one process per line).
    Irq { line: u8 },
    /// The I/O ports `first .. first + count`.
    Ports { first: u16, count: u16 },
    /// The console server's own endpoint, unbadged (only for the console server).
    Console,
    /// The timer server's own endpoint, unbadged (only for the timer server).
    Timer,
    /// The name service's own endpoint, unbadged (only for the name service).
    Names,
    /// An endpoint of its own to serve (and register), made for each instance: when the
    /// process ends, init revokes it, so every capability to it goes and callers waiting on
    /// it wake with `PeerGone`; a restarted instance gets a new one.
    Own,
}

/// An endpoint capability with every right, no badge.
pub const fn full(object: u8) -> Grant {
    Grant::Object { object, kind: ObjectKind::Endpoint, rights: Rights::of(ObjectKind::Endpoint), badge: 0 }
}

/// A badged endpoint capability with every right.
pub const fn badged(object: u8, badge: u64) -> Grant {
    Grant::Object { object, kind: ObjectKind::Endpoint, rights: Rights::of(ObjectKind::Endpoint), badge }
}

/// A notification capability with `rights` and `badge` (the bits it signals).
pub const fn notification(object: u8, rights: Rights, badge: u64) -> Grant {
    Grant::Object { object, kind: ObjectKind::Notification, rights, badge }
}

/// A set of processes to boot.
pub struct Scenario {
    pub name: &'static str,
    pub launches: &'static [Launch],
    /// Whether the manifest's services run beside them (its core servers always do).
    pub services: bool,
}

impl Scenario {
    /// The same, with the manifest's services running.
    pub const fn with_services(self) -> Scenario {
        Scenario { services: true, ..self }
    }
}

pub(crate) const fn scenario(name: &'static str, launches: &'static [Launch]) -> Scenario {
    Scenario { name, launches, services: false }
}

pub(crate) const fn launch(program: &'static str, priority: u8, argument: u64) -> Launch {
    launch_with(program, priority, argument, &[])
}

pub(crate) const fn launch_with(
    program: &'static str,
    priority: u8,
    argument: u64,
    caps: &'static [Grant],
) -> Launch {
    Launch {
        program,
        priority,
        argument,
        options: None,
        caps,
        budget: 0,
        restart: false,
        registers: &[],
        looks_up: &[],
    }
}

/// The `spinner` program's argument: its one-letter name and how many ticks to spin.
const fn spinner(letter: u8, ticks: u64) -> u64 {
    letter as u64 | ticks << 8
}

// Arguments of the `fault` program: which forbidden thing to try (see userland fault.rs).
const NULL_READ: u64 = 0;
const KERNEL_READ: u64 = 1;
const KERNEL_WRITE: u64 = 2;
const DIRECT_MAP_READ: u64 = 3;
const JUMP_TO_DATA: u64 = 4;
const JUMP_TO_STACK: u64 = 5;
const CLI: u64 = 6;
const HLT: u64 = 7;
const OUT: u64 = 8;
const MOV_CR3: u64 = 9;
const WRMSR: u64 = 10;
const UD2: u64 = 11;
const DIVIDE_BY_ZERO: u64 = 12;
const INT3: u64 = 13;
const INT_TIMER_VECTOR: u64 = 14;

/// Every scenario not in a submodule; the first is the default.
pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "demo",
        &[
            launch("hello", 4, 1),
            launch("hello", 4, 2),
            launch("fault", 4, NULL_READ),
            launch("worker", 2, 0),
            // An echo server and two clients with differently badged endpoint capabilities.
            launch_with("echo_server", 3, 200, &[full(0)]),
            launch_with("echo_client", 3, 100 | 1 << 32, &[badged(0, 0xa)]),
            launch_with("echo_client", 3, 100 | 1 << 16 | 2 << 32, &[badged(0, 0xb)]),
            // 1 MiB through a ring in pages the two share, checked byte for byte.
            launch_with("ring_consumer", 2, 0, &[full(1)]),
            launch_with("ring_producer", 2, 0, &[full(1)]),
            // A client of the timer server sleeps 20 ms.
            launch("timer_client", 3, 20),
            // The tutorial's client of the key-value server.
            launch("kv_client", 3, 0).looking_up(&["kv"]),
            // The shell, last: it prompts once the others are done or waiting.
            system::SHELL,
        ],
    )
    .with_services(),
    // A process built by init checks itself from the inside; a program init has no image of
    // is reported, and the others still start.
    scenario(
        "init_spawns_from_elf",
        &[launch("init_check", 3, 7), launch("no_such_program", 3, 0), launch("hello", 2, 1)],
    ),
    // A process makes, starts, suspends, resumes and destroys a second thread of its own.
    scenario("threads_from_user_space", &[launch("thread_control", 3, 0)]),
    // A caller suspended while its call awaits the reply: the call is cancelled.
    scenario("suspended_caller_call_cancelled", &[launch("ipc_suspended_caller", 3, 0)]),
    // The kernel checks its frame allocator first (a kernel self-test), then init runs this.
    scenario("boot_memory_map", &[launch("hello", 4, 1)]),
    scenario(
        "preemption_fairness",
        &[launch("spinner", 3, spinner(b'A', 10)), launch("spinner", 3, spinner(b'B', 10))],
    ),
    scenario("priority_preemption", &[launch("spinner", 1, spinner(b'L', 30)), launch("sleeper", 9, 0)]),
    scenario("user_fault_isolated", &[launch("fault", 5, NULL_READ), launch("worker", 1, 0)]),
    scenario(
        "kernel_memory_protected",
        &[
            launch("fault", 5, KERNEL_READ),
            launch("fault", 5, KERNEL_WRITE),
            launch("fault", 5, DIRECT_MAP_READ),
            launch("worker", 1, 0),
        ],
    ),
    scenario(
        "nx_enforced",
        &[launch("fault", 5, JUMP_TO_DATA), launch("fault", 5, JUMP_TO_STACK), launch("worker", 1, 0)],
    ),
    scenario(
        "privileged_instruction_faults",
        &[
            launch("fault", 5, CLI),
            launch("fault", 5, HLT),
            launch("fault", 5, OUT),
            launch("fault", 5, MOV_CR3),
            launch("fault", 5, WRMSR),
            launch("worker", 1, 0),
        ],
    ),
    scenario(
        "cpu_exceptions_isolated",
        &[launch("fault", 5, UD2), launch("fault", 5, DIVIDE_BY_ZERO), launch("worker", 1, 0)],
    ),
    // `int3` is a breakpoint, not a general protection fault; `int 0x20` (a vector user mode
    // may not raise) is one.
    scenario(
        "int3_reports_breakpoint",
        &[launch("fault", 5, INT3), launch("fault", 5, INT_TIMER_VECTOR), launch("worker", 1, 0)],
    ),
    scenario("bad_syscall_args", &[launch("badcalls", 5, 0)]),
    scenario("exit_status", &[launch("exit_status", 5, 0)]),
    scenario(
        "bench",
        &[
            launch_with(
                "bench",
                5,
                0,
                &[
                    full(0),
                    full(1),
                    full(2),
                    full(3),
                    notification(4, Rights::WRITE, 0x1),
                    notification(4, Rights::WRITE, 0x2),
                    full(5),
                ],
            )
            .looking_up(&["counter"]),
            launch_with("bench_waiter", 6, 0, &[notification(4, Rights::READ, 0)]),
            launch_with("bench_server", 6, 0, &[full(0)]),
            launch_with("bench_server", 6, 1, &[full(1)]),
            launch_with("bench_server", 6, 2, &[full(5)]),
            launch_with("bench_ring_sink", 5, 0, &[full(2)]),
            launch_with("bench_fault_child", 4, 0, &[full(3)]),
        ],
    )
    .with_services(),
];

impl Scenario {
    /// How many objects the scenario's grants name.
    pub fn object_count(&self) -> u8 {
        self.objects().map(|(object, _)| object + 1).max().unwrap_or(0)
    }

    /// What the scenario's object `n` is (as its first grant says).
    pub fn object_kind(&self, n: u8) -> ObjectKind {
        self.objects().find(|&(object, _)| object == n).map_or(ObjectKind::Endpoint, |(_, kind)| kind)
    }

    /// The objects the grants name, with their kinds.
    fn objects(&self) -> impl Iterator<Item = (u8, ObjectKind)> + '_ {
        self.launches.iter().flat_map(|launch| launch.caps).filter_map(|grant| match *grant {
            Grant::Object { object, kind, .. } => Some((object, kind)),
            _ => None,
        })
    }
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    let all = SCENARIOS.iter().chain(ipc::SCENARIOS).chain(caps::SCENARIOS);
    let all =
        all.chain(shm::SCENARIOS).chain(mem::SCENARIOS).chain(mem::FAULT_SCENARIOS).chain(ring::SCENARIOS);
    let all = all
        .chain(notify::SCENARIOS)
        .chain(system::SCENARIOS)
        .chain(system::SHELL_SCENARIOS)
        .chain(fuzz::SCENARIOS);
    all.into_iter().find(|scenario| scenario.name == name)
}
