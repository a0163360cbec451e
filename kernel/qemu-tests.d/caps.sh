# QEMU scenarios of capabilities and kernel objects (kernel/src/scenarios/caps.rs).
# Sourced by kernel/qemu-tests.sh: helpers expect, reject, expect_count, expect_order, exited,
# awk_check are defined there; each check_NAME adds to `problems`.

SCENARIOS+=()
