# QEMU scenarios of synchronous IPC between processes (kernel/src/scenarios/ipc.rs).
# Sourced by kernel/qemu-tests.sh: helpers expect, reject, expect_count, expect_order, exited,
# awk_check are defined there; each check_NAME adds to `problems`.

check_call_reply_roundtrip() {
    expect '^echo_server: served 1000 calls$'
    expect '^echo_client 1: 1000 calls of 4 words answered correctly; server saw badge 0$'
    exited echo_server 0
    exited echo_client 0
}

SCENARIOS+=(call_reply_roundtrip)
