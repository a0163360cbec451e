//! Links the kernel with its own script and generates the table of user programs it embeds:
//! every binary of `userland/programs`, so adding a program needs no kernel edit.

use std::fmt::Write;

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
    let sources = format!("{dir}/../userland/programs/src/bin");
    println!("cargo:rerun-if-changed={sources}");
    let mut names: Vec<String> = std::fs::read_dir(&sources)
        .expect("userland/programs/src/bin exists")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".rs").map(String::from))
        .collect();
    names.sort();
    let mut table = String::from("pub const PROGRAMS: &[(&str, &[u8])] = &[\n");
    for name in &names {
        writeln!(table, "    ({name:?}, include_bytes!({:?})),", format!("{user_bins}/{name}")).unwrap();
    }
    table.push_str("];\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/programs.rs"), table).expect("OUT_DIR is writable");
}
