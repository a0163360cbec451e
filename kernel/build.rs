//! Links the kernel with its own script and tells cargo where the user programs it embeds are.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
    println!("cargo:rustc-link-arg-bins=--no-dynamic-linker");
    println!("cargo:rerun-if-changed=linker.ld");

    // The Makefile builds the user programs first and names their directory here; the kernel
    // embeds them with include_bytes!, which also makes rustc rebuild when they change.
    println!("cargo:rerun-if-env-changed=TRYST_USER_BIN_DIR");
    let user_bins = std::env::var("TRYST_USER_BIN_DIR")
        .unwrap_or_else(|_| format!("{dir}/../target/user/x86_64-target/user"));
    println!("cargo:rustc-env=TRYST_USER_BIN_DIR={user_bins}");
}
