// swift-tools-version:6.0
// The Swift package of poke (identity `poke`): add it by URL and version,
//   .package(url: "https://github.com/poke-sdk/poke", from: "0.3.0")
// then depend on the product `Poke` (and `PokeTesting`, the in-process emulator, in test targets).
//
// Layout (docs/adr/0010-swift-facade.md):
//   Poke                 the public API, hand-written (bindings/swift/Sources/Poke)
//   PokeTesting          the emulator for tests, hand-written (bindings/swift/Sources/PokeTesting)
//   PokeBindings         uniffi's Swift for poke_ffi, every declaration `package` (generated)
//   PokeTestingBindings  uniffi's Swift for poke_testing, the same (generated)
//   PokeFFI              the C declarations of both native libraries (generated)
// Generated files come from `bindings/run-foreign-tests.sh --update-swift`; never edit them.
//
// The native code: on Apple platforms two XCFrameworks made by scripts/build-xcframework.sh
// and attached to each release (PokeFFI: the static library apps ship; PokeTestingFFI: a dynamic
// framework with the emulator, linked by PokeTesting only). POKE_FFI_LOCAL=1 uses the ones that
// script leaves in target/xcframework instead. On Linux the shared libraries libpoke_ffi.so and
// libpoke_testing.so built by `cargo build --release --no-default-features -p poke-ffi
// -p poke-ffi-testing`, found by `-Xlinker -L<dir>` (see bindings/swift/README.md).
import PackageDescription

/// The release these URLs and checksums belong to; scripts/build-xcframework.sh --release
/// rewrites the three lines below.
let ffiVersion = "0.3.0"
let ffiChecksum = "0000000000000000000000000000000000000000000000000000000000000000"
let testingFFIChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

let releases = "https://github.com/poke-sdk/poke/releases/download/\(ffiVersion)"
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

#if os(Linux)
let nativeTargets: [Target] = [
    .systemLibrary(name: "PokeFFI", path: "bindings/swift/Sources/PokeFFI"),
]
let bindingsDependencies: [Target.Dependency] = ["PokeFFI"]
let testingBindingsDependencies: [Target.Dependency] = ["PokeFFI", "PokeBindings"]
let bindingsLinker: [LinkerSetting] = [.linkedLibrary("poke_ffi")]
let testingLinker: [LinkerSetting] = [.linkedLibrary("poke_testing")]
#else
let local = Context.environment["POKE_FFI_LOCAL"] == "1"
let nativeTargets: [Target] = local
    ? [
        .binaryTarget(name: "PokeFFI", path: "target/xcframework/PokeFFI.xcframework"),
        .binaryTarget(name: "PokeTestingFFI", path: "target/xcframework/PokeTestingFFI.xcframework"),
    ]
    : [
        .binaryTarget(
            name: "PokeFFI", url: "\(releases)/PokeFFI.xcframework.zip", checksum: ffiChecksum
        ),
        .binaryTarget(
            name: "PokeTestingFFI", url: "\(releases)/PokeTestingFFI.xcframework.zip",
            checksum: testingFFIChecksum
        ),
    ]
let bindingsDependencies: [Target.Dependency] = ["PokeFFI"]
let testingBindingsDependencies: [Target.Dependency] = ["PokeFFI", "PokeTestingFFI", "PokeBindings"]
let bindingsLinker: [LinkerSetting] = []
let testingLinker: [LinkerSetting] = []
#endif

let package = Package(
    name: "poke",
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [
        .library(name: "Poke", targets: ["Poke"]),
        .library(name: "PokeTesting", targets: ["PokeTesting"]),
    ],
    targets: nativeTargets + [
        .target(
            name: "PokeBindings",
            dependencies: bindingsDependencies,
            path: "bindings/swift/Sources/PokeBindings",
            linkerSettings: bindingsLinker
        ),
        .target(
            name: "PokeTestingBindings",
            dependencies: testingBindingsDependencies,
            path: "bindings/swift/Sources/PokeTestingBindings",
            linkerSettings: testingLinker
        ),
        .target(
            name: "Poke",
            dependencies: ["PokeBindings"],
            path: "bindings/swift/Sources/Poke",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PokeTesting",
            dependencies: ["Poke", "PokeBindings", "PokeTestingBindings"],
            path: "bindings/swift/Sources/PokeTesting",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PokeTests",
            dependencies: ["Poke", "PokeTesting"],
            path: "bindings/swift/Tests/PokeTests",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
