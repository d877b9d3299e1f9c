// swift-tools-version:6.0
// The Swift row of benchmarks/langs.py: an app using the poke package by path (`../poke`, a
// copy that scripts/swift-chroot.sh `run` places beside it), built in release.
import PackageDescription

let package = Package(
    name: "PokeBench",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../poke"),
    ],
    targets: [
        .executableTarget(
            name: "PokeBench",
            dependencies: [.product(name: "Poke", package: "poke")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
