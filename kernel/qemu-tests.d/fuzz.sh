# The system-call fuzzer (userland/programs/src/bin/fuzz.rs). Sourced by kernel/qemu-tests.sh,
# whose every scenario also checks that the kernel did not panic and that all frames and
# objects are back at the end. `make fuzz` boots scenario `fuzz` with a seed and a count.

# fuzz_done COPIES MIN_CALLS: every copy finished its calls, the calls add up to at least
# MIN_CALLS, and each copy exited normally.
fuzz_done() {
    no_failures
    expect_count '^fuzz [0-9]+: done: [0-9]+ calls' "$1"
    expect_count '^tryst: process [0-9]+ \(fuzz\) exited with status 0$' "$1"
    awk_check "/^fuzz [0-9]+: done: / { calls += \$4 }
        END { if (calls < $2) print \"the fuzzers made \" calls + 0 \" calls, fewer than $2\" }"
}

check_syscall_fuzz_short() {
    fuzz_done 4 200000
}

check_fuzz() {
    fuzz_done 4 "${FUZZ_CALLS:-1}"
}

SCENARIOS+=(syscall_fuzz_short)
# About 10 s a boot on an unloaded machine: room for a slow or busy one.
SCENARIO_TIMEOUTS[syscall_fuzz_short]=900
# A seed gives the same run every time, so a failure can be replayed.
REPEATABLE[syscall_fuzz_short]=1
REPEATABLE[fuzz]=1
