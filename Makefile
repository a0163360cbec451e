# Tryst: the only commands a newcomer needs.
#   make run    boot the demo system under QEMU and drop into its shell (exit, or ctrl-a x, quits)
#   make test   host tests, then every QEMU scenario
#   make bench  boot the benchmark program and print its table (JSON in target/bench.json)
#   make fuzz   the system-call fuzzer: CALLS random calls in all from SEED (both IPC paths)
#   make gdb    boot paused with QEMU's gdb stub, and start gdb on the kernel's symbols
#   make clean
# ACCEL=kvm uses KVM (only on hosts with real hardware virtualization); the default is TCG.
# BOOT_OPTIONS are added to the kernel command line of make run and make gdb (fastpath=off:
# every IPC through the general path).

ACCEL ?= tcg
SCENARIO ?= demo
BOOT_OPTIONS ?=

USER_DIR   := target/user/x86_64-target/user
KERNEL_ELF := target/kernel/x86_64-target/release/tryst-kernel

ifeq ($(ACCEL),kvm)
  QEMU_CPU := -accel kvm -cpu host,-arch-capabilities
  BENCH_MODE := KVM: figures are CPU cycles
  BENCH_TIMING :=
else
  QEMU_CPU := -accel tcg -cpu qemu64,+nx,+smep,+smap
  BENCH_MODE := TCG -icount shift=0: figures are guest instructions, identical run to run
  BENCH_TIMING := -icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm
endif

QEMU_FLAGS = -machine q35 $(QEMU_CPU) -m 128M -no-reboot -display none -rtc clock=vm \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel $(KERNEL_ELF)

.PHONY: all setup user kernel run test bench fuzz gdb clean

all: kernel

setup:
	@bash .ci/setup

user: setup
	cargo xbuild -p tryst-programs --profile user --target-dir target/user

kernel: user
	RUSTFLAGS="-C code-model=kernel" TRYST_USER_BIN_DIR="$(CURDIR)/$(USER_DIR)" \
		cargo xbuild --release -p tryst-kernel --target-dir target/kernel

# QEMU exits with 33 when the kernel reports success (isa-debug-exit), so 33 is make's success.
run: kernel
	@echo "Booting Tryst ($(ACCEL)); type exit in the shell, or ctrl-a x, to quit."
	@qemu-system-x86_64 $(QEMU_FLAGS) -serial mon:stdio -append "scenario=$(SCENARIO) $(BOOT_OPTIONS)"; \
		status=$$?; [ $$status -eq 33 ] || { echo "QEMU exited with $$status"; exit 1; }

test: setup
	@bash kernel/qemu-tests.sh

# The benchmark boots twice from one build: as usual (IPC takes the fastpath where it can),
# then with `fastpath=off` (every IPC through the general path). JSON: the first boot's rows
# under "results", the second's under "general_path".
bench: kernel
	@echo "Tryst benchmarks ($(BENCH_MODE))"
	@qemu-system-x86_64 $(QEMU_FLAGS) $(BENCH_TIMING) -serial file:target/bench.log -monitor none \
		-append "scenario=bench"; status=$$?; [ $$status -eq 33 ] || { cat target/bench.log; exit 1; }
	@qemu-system-x86_64 $(QEMU_FLAGS) $(BENCH_TIMING) -serial file:target/bench-general.log -monitor none \
		-append "scenario=bench fastpath=off"; status=$$?; \
		[ $$status -eq 33 ] || { cat target/bench-general.log; exit 1; }
	@sed -n 's/\r$$//; s/^bench: //p' target/bench.log
	@echo
	@echo "The same build booted with fastpath=off (the general path):"
	@sed -n 's/\r$$//; s/^bench: \(operation\|null\|ipc\)/  \1/p' target/bench-general.log
	@tr -d '\r' < target/bench-general.log | sed -n 's/^json: {"results": \(\[.*\]\), "ring_throughput".*/\1/p' \
		> target/bench-general.json
	@tr -d '\r' < target/bench.log | sed -n 's/^json: {/{"mode": "$(BENCH_MODE)", /p' | sed 's/}$$//' \
		| { read -r fast; printf '%s, "general_path": %s}\n' "$$fast" "$$(cat target/bench-general.json)"; } \
		> target/bench.json
	@echo "JSON: target/bench.json"

# The system-call fuzzer (userland/programs/src/bin/fuzz.rs): four processes make CALLS random
# system calls in all, from SEED, booted once as usual and once with fastpath=off. Passes when
# the kernel answered every call, never panicked, and got every object and frame back.
SEED ?= 1
CALLS ?= 1000000
fuzz: setup
	@FUZZ_CALLS=$(CALLS) TEST_TIMEOUT=$$(( 300 + $(CALLS) / 1000 )) \
		SCENARIO_OPTIONS="fuzz_seed=$(SEED) fuzz_calls=$(CALLS)" bash kernel/qemu-tests.sh fuzz

gdb: kernel
	@echo "QEMU waits for gdb on localhost:1234; starting gdb with the kernel's symbols."
	qemu-system-x86_64 $(QEMU_FLAGS) -serial file:target/gdb-serial.log -append "scenario=$(SCENARIO) $(BOOT_OPTIONS)" -s -S &
	gdb -q $(KERNEL_ELF) -ex "target remote localhost:1234"

clean:
	cargo clean
