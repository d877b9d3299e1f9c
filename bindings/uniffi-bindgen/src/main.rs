//! `uniffi-bindgen` on the workspace's pinned uniffi: `cargo run -p uniffi-bindgen --features cli
//! -- generate <libpoke_ffi.so> --language kotlin --out-dir <dir>` (library mode).

fn main() {
    uniffi::uniffi_bindgen_main()
}
