// The peer compiles the project's one copy of the Savant schema (the C# library uses the same file; prost ignores
// its csharp_namespace option), so the two sides cannot drift apart.
const PROTO_DIR: &str = "../../../src/Savant.Native.Transport/Proto";
const PROTO: &str = "../../../src/Savant.Native.Transport/Proto/savant_rs.proto";

fn main() {
    println!("cargo:rerun-if-changed={}", PROTO);
    let mut cfg = prost_build::Config::new();
    cfg.compile_protos(&[PROTO], &[PROTO_DIR])
        .unwrap_or_else(|e| panic!("protoc failed to compile {} (is protobuf-compiler installed?): {}", PROTO, e));
}
