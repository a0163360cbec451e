# Tryst: the only commands a newcomer needs.
#   make run    boot the demo system under QEMU and drop into its shell (exit, or ctrl-a x, quits)
#   make test   host tests, then every QEMU scenario
#   make bench  boot the benchmark program and print its table (JSON in target/bench.json)
#   make gdb    boot paused with QEMU's gdb stub, and start gdb on the kernel's symbols
#   make clean
# ACCEL=kvm uses KVM (only on hosts with real hardware virtualization); the default is TCG.

ACCEL ?= tcg
SCENARIO ?= demo

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

.PHONY: all setup user kernel run test bench gdb clean

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
	@qemu-system-x86_64 $(QEMU_FLAGS) -serial mon:stdio -append "scenario=$(SCENARIO)"; \
		status=$$?; [ $$status -eq 33 ] || { echo "QEMU exited with $$status"; exit 1; }

test: setup
	@bash kernel/qemu-tests.sh

bench: kernel
	@echo "Tryst benchmarks ($(BENCH_MODE))"
	@qemu-system-x86_64 $(QEMU_FLAGS) $(BENCH_TIMING) -serial file:target/bench.log -monitor none \
		-append "scenario=bench"; status=$$?; [ $$status -eq 33 ] || { cat target/bench.log; exit 1; }
	@sed -n 's/\r$$//; s/^bench: //p' target/bench.log
	@sed -n 's/\r$$//; s/^json: {/{"mode": "$(BENCH_MODE)", /p' target/bench.log > target/bench.json
	@echo "JSON: target/bench.json"

gdb: kernel
	@echo "QEMU waits for gdb on localhost:1234; starting gdb with the kernel's symbols."
	qemu-system-x86_64 $(QEMU_FLAGS) -serial file:target/gdb-serial.log -append "scenario=$(SCENARIO)" -s -S &
	gdb -q $(KERNEL_ELF) -ex "target remote localhost:1234"

clean:
	cargo clean
