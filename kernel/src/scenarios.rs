//! What the kernel starts at boot: the user programs it embeds, and the scenarios (sets of
//! processes) that `make run` and the QEMU tests boot, chosen by `scenario=NAME` on the
//! kernel command line.

/// The user programs, embedded from the user build (see build.rs).
macro_rules! programs {
    ($($name:literal),* $(,)?) => {
        const PROGRAMS: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!(env!("TRYST_USER_BIN_DIR"), "/", $name))),)*
        ];
    };
}

programs!["hello", "spinner", "sleeper", "fault", "worker", "badcalls", "exit_status", "bench"];

/// The ELF image of the program called `name`.
pub fn program(name: &str) -> Option<&'static [u8]> {
    PROGRAMS.iter().find(|(n, _)| *n == name).map(|(_, image)| *image)
}

/// One process to start.
pub struct Launch {
    pub program: &'static str,
    pub priority: u8,
    /// Passed to the program's `main` in `rdi`.
    pub argument: u64,
}

/// A kernel self-test a scenario runs before starting its processes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SelfTest {
    None,
    /// Drain and check the frame allocator (`memory::check_frame_allocator`).
    FrameAllocator,
    /// Panic on purpose, so the tests can see a panic reported and QEMU failing.
    Panic,
}

/// A set of processes to boot, and the self-test to run first.
pub struct Scenario {
    pub name: &'static str,
    pub self_test: SelfTest,
    pub launches: &'static [Launch],
}

const fn scenario(name: &'static str, launches: &'static [Launch]) -> Scenario {
    Scenario { name, self_test: SelfTest::None, launches }
}

const fn launch(program: &'static str, priority: u8, argument: u64) -> Launch {
    Launch { program, priority, argument }
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

/// Every scenario; the first is the default.
pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "demo",
        &[
            launch("hello", 4, 1),
            launch("hello", 4, 2),
            launch("fault", 4, NULL_READ),
            launch("worker", 2, 0),
        ],
    ),
    Scenario {
        name: "boot_memory_map",
        self_test: SelfTest::FrameAllocator,
        launches: &[launch("hello", 4, 1)],
    },
    Scenario { name: "kernel_panic_reported", self_test: SelfTest::Panic, launches: &[] },
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
    scenario("bad_syscall_args", &[launch("badcalls", 5, 0)]),
    scenario("exit_status", &[launch("exit_status", 5, 0)]),
    scenario("bench", &[launch("bench", 5, 0)]),
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|scenario| scenario.name == name)
}
