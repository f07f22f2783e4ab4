// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "ContactQA",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ContactQA", targets: ["ContactQA"]),
        .executable(name: "contactqa", targets: ["contactqa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: []
)

// MARK: - C shim

package.targets.append(
    .systemLibrary(
        name: "CLibCSV",
        providers: [.apt(["libcsv-dev"])]
    )
)

package.targets.append(.systemLibrary(name: "CRenameExchange"))

package.targets.append(
    .systemLibrary(
        name: "CZlib",
        providers: [.apt(["zlib1g-dev"])]
    )
)

package.targets.append(
    .systemLibrary(
        name: "CLibCrypto",
        providers: [.apt(["libssl-dev"])]
    )
)

package.targets.append(
    .systemLibrary(
        name: "CLibPQ",
        providers: [.apt(["libpq-dev"])]
    )
)

// MARK: - Library

package.targets.append(
    .target(
        name: "ContactQA",
        dependencies: [
            "CLibCSV",
            "CRenameExchange",
            "CLibPQ",
            "CLibCrypto",
            "CZlib",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Mustache", package: "swift-mustache"),
        ],
        // The report and pack templates, compiled into the binary so that it runs from anywhere.
        resources: [
            .embedInCode("Report/Templates/report.md.mustache"),
            .embedInCode("Report/Templates/report.html.mustache"),
            .embedInCode("Report/Templates/groups.md.mustache"),
            .embedInCode("Report/Templates/groups.html.mustache"),
            .embedInCode("Report/Templates/pack.md.mustache"),
            .embedInCode("Report/Templates/pack.html.mustache"),
            .embedInCode("Report/Templates/form.html.mustache"),
        ]
    )
)

// MARK: - Command line

package.targets.append(
    .executableTarget(
        name: "contactqa",
        dependencies: [
            "ContactQA",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]
    )
)

// MARK: - Fuzzing

// Fuzz targets over the readers of untrusted files; a libFuzzer binary when built by scripts/fuzz.sh,
// a replayer of saved inputs otherwise.
package.targets.append(
    .executableTarget(
        name: "contactqa-fuzz",
        dependencies: ["ContactQA", .product(name: "Logging", package: "swift-log")]
    )
)

// MARK: - Tests

// What tests share: fixtures, temporary folders and stores on either backend, snapshots.
package.targets.append(
    .target(
        name: "ContactQATesting",
        dependencies: ["ContactQA", .product(name: "GRDB", package: "GRDB.swift")]
    )
)

package.targets.append(
    .testTarget(
        name: "ContactQATests",
        // The command is a dependency so that end-to-end tests can run the built binary.
        dependencies: [
            "ContactQA",
            "ContactQATesting",
            "contactqa",
            "contactqa-fuzz",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        exclude: ["Snapshots"]
    )
)

// MARK: - Strict settings for every Swift target

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(contentsOf: [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .treatAllWarnings(as: .error),
    ])
    target.swiftSettings = settings
}
