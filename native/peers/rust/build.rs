fn main() {
    println!("cargo:rerun-if-changed=proto/savant_rs.proto");
    let mut cfg = prost_build::Config::new();
    cfg.compile_protos(&["proto/savant_rs.proto"], &["proto"])
        .expect("protoc failed to compile proto/savant_rs.proto (is protobuf-compiler installed?)");
}
