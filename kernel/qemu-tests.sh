#!/usr/bin/env bash
# `make test`: the host tests (cargo test), then every QEMU scenario, each a fresh boot of the
# kernel with `scenario=NAME`, under TCG with -icount (deterministic timer) and a timeout.
# A scenario passes when QEMU exits through isa-debug-exit with the success status (33), the
# kernel reports that all processes finished, nothing panicked, and the scenario's own checks
# on the serial log hold. Prints `test NAME ... ok|FAILED` and ends with `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

ACCEL=${ACCEL:-tcg}
TIMEOUT=${TEST_TIMEOUT:-120}
# Scenarios that need longer than TIMEOUT set theirs here (name → seconds), in their .sh file.
declare -A SCENARIO_TIMEOUTS=()
# Scenarios whose every run must be the same (the fuzzer's, so that a seed reproduces a failure)
# set REPEATABLE[name]=1. Not for scenarios that wait for typed input: while they idle, their
# clock would race ahead.
declare -A REPEATABLE=()
KERNEL=target/kernel/x86_64-target/release/tryst-kernel
LOGS=target/qemu-tests
SUCCESS_STATUS=33
mkdir -p "$LOGS"

passed=0
failed=0

# --- host tests ---------------------------------------------------------------------------
# With scenario names as arguments, only those QEMU scenarios run (no host tests).
if [ $# -eq 0 ]; then
    host_log="$LOGS/host.log"
    cargo test 2>&1 | tee "$host_log"
    host_status=${PIPESTATUS[0]}
    read -r host_passed host_failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$host_log")
    passed=$((passed + host_passed))
    failed=$((failed + host_failed))
    if [ "$host_status" -ne 0 ] && [ "$host_failed" -eq 0 ]; then
        echo "test host_build ... FAILED"
        failed=$((failed + 1))
    fi

    # --- build the system ---------------------------------------------------------------------
fi

if ! make -s kernel >"$LOGS/build.log" 2>&1; then
    cat "$LOGS/build.log"
    echo "test kernel_build ... FAILED"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi

if [ "$ACCEL" = kvm ]; then
    qemu_accel=(-accel kvm -cpu host,-arch-capabilities)
else
    qemu_accel=(-accel tcg -cpu qemu64,+nx,+smep,+smap -icount shift=0)
    # For scenarios in REPEATABLE: idle time is skipped rather than waited out in real time,
    # so that the run is the same every time (and faster).
    qemu_accel_repeatable=(-accel tcg -cpu qemu64,+nx,+smep,+smap -icount shift=0,sleep=off)
fi

# --- checks a scenario can make on its serial log ($log) -------------------------------------
problems=()
expect() { grep -Eq -- "$1" "$log" || problems+=("missing: $1"); }
reject() { ! grep -Eq -- "$1" "$log" || problems+=("unexpected: $(grep -Em1 -- "$1" "$log")"); }
expect_count() { # REGEX N
    local n; n=$(grep -Ec -- "$1" "$log")
    [ "$n" -eq "$2" ] || problems+=("expected $2 lines matching $1, saw $n")
}
expect_order() { # REGEX_FIRST REGEX_LATER: the first match of one comes before the last of the other
    local a b
    a=$(grep -En -- "$1" "$log" | head -1 | cut -d: -f1)
    b=$(grep -En -- "$2" "$log" | tail -1 | cut -d: -f1)
    { [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; } || problems+=("expected '$1' before '$2'")
}
wait_for_line() { # REGEX: waits (up to a minute) until the serial log being written has a matching line
    local tries=0
    until grep -Eq -- "$1" "$log" 2>/dev/null; do
        sleep 0.2
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || return 1
    done
}
in_order() { # REGEX…: each matches a line after the line the one before it matched
    local after=0 regex line
    for regex in "$@"; do
        line=$(grep -En -- "$regex" "$log" | awk -F: -v after="$after" '$1 > after { print $1; exit }')
        [ -n "$line" ] || { problems+=("expected '$regex' after line $after"); return; }
        after=$line
    done
}
no_failures() { # no check failed and no user program panicked
    reject 'FAILED'
    reject '^panic: '
}
exited() { expect "tryst: process [0-9]+ \\($1\\) exited with status $2\$"; }
awk_check() { # AWK_PROGRAM: prints problems, one a line
    local out; out=$(tr -d '\r' <"$log" | awk "$1")
    [ -z "$out" ] || while IFS= read -r line; do problems+=("$line"); done <<<"$out"
}

check_boot_memory_map() {
    expect '^tryst: memory map \(PVH start_info\):'
    expect '^  \[0x000000100000-0x[0-9a-f]+\) Usable'
    expect '^tryst: [0-9]+ frames free'
    expect '^tryst: frame allocator check passed: [0-9]+ frames, all usable RAM, none in the kernel image, boot structures or page tables'
    exited hello 0
}

check_preemption_fairness() {
    exited spinner 0
    expect_count 'tryst: process [0-9]+ \(spinner\) exited with status 0' 2
    # Both spinners report progress, their runs overlap in time, and neither waits more than
    # a bounded number of ticks (two time slices plus slack) between reports.
    awk_check '
        /^spinner [AB]: chunk [0-9]+ at tick [0-9]+$/ {
            s = substr($2, 1, 1); t = $NF
            if (!(s in first)) first[s] = t
            if ((s in last) && t - last[s] > gap[s]) gap[s] = t - last[s]
            last[s] = t; n[s]++
        }
        END {
            if (n["A"] < 3 || n["B"] < 3) { print "too few progress reports: A " n["A"] ", B " n["B"]; exit }
            if (first["B"] > last["A"] || first["A"] > last["B"]) print "the spinners did not run interleaved"
            for (s in gap) if (gap[s] > 6) print "spinner " s " waited " gap[s] " ticks between reports"
        }'
}

check_priority_preemption() {
    exited sleeper 0
    exited spinner 0
    expect_count '^sleeper: burst [0-9]+ begins' 4
    # While the high-priority sleeper holds the CPU, the low spinner never runs; it does run
    # while the sleeper sleeps, and the bursts happen while it is still busy.
    awk_check '
        /^sleeper: burst [0-9]+ begins/ { inside = 1; bursts++ }
        /^sleeper: burst [0-9]+ ends/ { inside = 0 }
        /^spinner L: chunk/ {
            if (inside) print "the low-priority spinner ran during burst " bursts
            if (bursts > 0 && bursts < 4) between++
            if (bursts == 4 && !inside) after++
        }
        END {
            if (between == 0) print "the spinner never ran while the sleeper slept"
            if (after == 0) print "the spinner was not still running when the bursts ended"
        }'
}

check_user_fault_isolated() {
    expect '^tryst: process [0-9]+ \(fault\) stopped: page fault at 0x0 \(read, ip 0x[0-9a-f]+\)$'
    reject 'did not fault'
    exited worker 0
    expect_order '\(fault\) stopped' '\(worker\) exited'
}

check_kernel_memory_protected() {
    expect '\(fault\) stopped: page fault at 0xffffffff80100000 \(read,'
    expect '\(fault\) stopped: page fault at 0xffffffff80200000 \(write,'
    expect '\(fault\) stopped: page fault at 0xffff800000100000 \(read,'
    reject 'did not fault'
    exited worker 0
}

check_nx_enforced() {
    # An execute fault's address is where the jump landed: a data page, then a stack page.
    expect '\(fault\) stopped: page fault at 0x(40[0-9a-f]{4}) \(execute, ip 0x\1\)$'
    expect '\(fault\) stopped: page fault at 0x(7ffffff[0-9a-f]{5}) \(execute, ip 0x\1\)$'
    reject 'did not fault'
    exited worker 0
}

check_privileged_instruction_faults() {
    for attempt in cli hlt out 'mov cr3' wrmsr; do expect "^fault: trying $attempt\$"; done
    expect_count '\(fault\) stopped: general protection fault at ip 0x[0-9a-f]+$' 5
    reject 'did not fault'
    exited worker 0
}

check_cpu_exceptions_isolated() {
    expect '\(fault\) stopped: invalid opcode at ip 0x[0-9a-f]+$'
    expect '\(fault\) stopped: divide error at ip 0x[0-9a-f]+$'
    reject 'did not fault'
    exited worker 0
}

check_int3_reports_breakpoint() {
    expect '^fault: trying int3$'
    expect '\(fault\) stopped: breakpoint at ip 0x[0-9a-f]+$'
    expect '^fault: trying int 0x20$'
    expect '\(fault\) stopped: general protection fault at ip 0x[0-9a-f]+$'
    expect_count 'stopped: ' 2
    reject 'did not fault'
    exited worker 0
}

check_kernel_panic_reported() {
    # The kernel panics on purpose: the message and its location reach the serial line, and
    # QEMU exits with the failure status, which the loop below expects for this scenario only.
    expect '^tryst: KERNEL PANIC: panicked at kernel/src/main\.rs:[0-9]+:[0-9]+:$'
    expect '^deliberate panic, as scenario kernel_panic_reported asks$'
    reject 'entering user mode'
}

check_bad_syscall_args() {
    expect_count '^badcalls: .*, as expected$' 11
    reject 'FAILED'
    expect '^badcalls: the kernel still answers$'
    exited badcalls 0
}

check_exit_status() {
    expect '^exit_status: leaving with status 42$'
    exited exit_status 42
}

SCENARIOS=(boot_memory_map preemption_fairness priority_preemption user_fault_isolated
    kernel_memory_protected nx_enforced privileged_instruction_faults cpu_exceptions_isolated
    int3_reports_breakpoint bad_syscall_args exit_status kernel_panic_reported)
# Each area's scenarios and checks live in a file of their own.
for checks in kernel/qemu-tests.d/*.sh; do
    # shellcheck source=/dev/null
    source "$checks"
done
[ $# -gt 0 ] && SCENARIOS=("$@")
# QEMU's exit status when the kernel panics (isa-debug-exit with code 0: (0 << 1) | 1).
PANIC_STATUS=1

# boot_scenario NAME LOG [OPTION…]: boots the kernel with `scenario=NAME OPTION…` (what
# `input_NAME`, if defined, prints is typed into the serial port), the serial output in LOG;
# sets `status` to QEMU's exit status.
boot_scenario() {
    local name=$1 boot_log=$2
    shift 2
    local accel=("${qemu_accel[@]}")
    [ -n "${REPEATABLE[$name]:-}" ] && [ "$ACCEL" != kvm ] && accel=("${qemu_accel_repeatable[@]}")
    local qemu=(timeout --foreground "${SCENARIO_TIMEOUTS[$name]:-$TIMEOUT}" qemu-system-x86_64 -machine q35 "${accel[@]}" -m 128M
        -no-reboot -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04
        -rtc clock=vm -kernel "$KERNEL" -append "scenario=$name $*" -monitor none)
    if declare -F "input_$name" >/dev/null; then
        rm -f "$boot_log"
        "input_$name" | "${qemu[@]}" -serial stdio >"$boot_log"
        status=${PIPESTATUS[1]}
    else
        "${qemu[@]}" -serial "file:$boot_log" </dev/null
        status=$?
    fi
    [ -f "$boot_log" ] && sed -i 's/\r$//' "$boot_log" || touch "$boot_log"
}

# run_scenario NAME LABEL [OPTION…]: boots scenario NAME with the options, runs its checks
# and prints `test LABEL ... ok|FAILED`.
run_scenario() {
    local name=$1 label=$2
    shift 2
    log="$LOGS/$label.log"
    problems=()
    boot_scenario "$name" "$log" "$@"
    expected_status=$SUCCESS_STATUS
    [ "$name" = kernel_panic_reported ] && expected_status=$PANIC_STATUS
    case $status in
        "$expected_status") ;;
        124) problems+=("timed out after ${SCENARIO_TIMEOUTS[$name]:-$TIMEOUT}s") ;;
        0) problems+=("QEMU exited with 0: a triple fault or a reset") ;;
        *) problems+=("QEMU exited with $status, not $expected_status") ;;
    esac
    if [ "$expected_status" = "$SUCCESS_STATUS" ]; then
        reject 'KERNEL PANIC'
        expect '^tryst: all processes have finished'
        # Every frame a process used (pages, page tables) is back once all processes are gone.
        awk_check '/^tryst: all processes have finished;/ { if ($6 != $9) print "frames leaked: " $6 " free at the end, " $9 " before" }'
        # Every kernel object dies with the last process that held a capability to it.
        expect '^tryst: kernel objects left: 0 endpoints, 0 memory objects, 0 capabilities, 0 frames, 0 address spaces, 0 notifications$'
    fi
    "check_$name"
    if [ ${#problems[@]} -eq 0 ]; then
        echo "test $label ... ok"
        passed=$((passed + 1))
    else
        echo "test $label ... FAILED"
        printf '    %s\n' "${problems[@]}"
        echo "    (serial log: $log; last lines below)"
        tail -n 8 "$log" | sed 's/^/    | /'
        failed=$((failed + 1))
    fi
}

# SCENARIO_OPTIONS are added to every boot's command line (`make fuzz` passes its seed).
# shellcheck disable=SC2086 # one word per option
for name in "${SCENARIOS[@]}"; do
    run_scenario "$name" "$name" ${SCENARIO_OPTIONS:-}
done

# Every scenario that runs user programs runs again with `fastpath=off`: every IPC then takes
# the general path, which must behave the same. (The kernel's own self-tests run no IPC, and
# fastpath_equivalence boots both ways itself.)
for name in "${SCENARIOS[@]}"; do
    case $name in
        boot_memory_map | kernel_panic_reported | fastpath_equivalence) continue ;;
    esac
    # shellcheck disable=SC2086
    run_scenario "$name" "$name[fastpath=off]" fastpath=off ${SCENARIO_OPTIONS:-}
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
