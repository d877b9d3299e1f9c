// swift-tools-version:6.0
// An app using the poke Swift package, built outside the repository by run.sh. An app adds
//   .package(url: "https://github.com/poke-sdk/poke", from: "0.3.0")
// run.sh places a copy of the package beside this one as `../poke`, so the same identity
// (`poke`) resolves by path; everything else is what an app writes.
import PackageDescription

let package = Package(
    name: "PokeApp",
    platforms: [.macOS(.v13), .iOS(.v16)],
    dependencies: [
        .package(path: "../poke"),
    ],
    targets: [
        .target(
            name: "PokeApp",
            dependencies: [.product(name: "Poke", package: "poke")]
        ),
        .testTarget(
            name: "PokeAppTests",
            dependencies: [
                "PokeApp",
                .product(name: "Poke", package: "poke"),
                .product(name: "PokeTesting", package: "poke"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
