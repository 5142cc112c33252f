// swift-tools-version:6.0
import PackageDescription

// Versions are pinned exactly: packages come from a local mirror, and WasmKit's
// resource-limiter SPI is used, which may change between releases.
let package = Package(
    name: "EnclaveOS",
    // macOS 15: the Synchronization module (`Mutex`).
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "enclave-os", targets: ["enclave-os"]),
        .executable(name: "enclave", targets: ["enclave"]),
        .executable(name: "enclave-conformance", targets: ["enclave-conformance"]),
        .library(name: "EnclaveClient", targets: ["EnclaveClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit.git", exact: "0.4.2"),
        // Carries its own SQLite, so neither the enclave image nor a fresh machine needs a system library.
        .package(url: "https://github.com/vapor/sqlite-nio.git", exact: "1.13.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        // The shared ciphertext store of a cluster (`--store postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // Graceful shutdown on SIGTERM/SIGINT: the server is a `Service` run by a `ServiceGroup`.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        // Server metrics: swift-metrics is the instrumentation API, swift-prometheus renders /metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        // Wire protocol: frames, envelope, JSON, management messages, typed values. No I/O; NIOCore
        // only for the frame codec's ByteBuffer decoder and writer.
        .target(name: "EnclaveProtocol", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Vectorised whole-range checks (all zero, equal) for the instance reset's memory comparison.
        .target(name: "CMemoryScan"),
        // Our Component Model layer over WasmKit's core-module API.
        .target(
            name: "Components",
            dependencies: ["EnclaveProtocol", "CMemoryScan", .product(name: "WasmKit", package: "WasmKit")]
        ),
        // Per-app keys, encryption layout, storage backends: SQLite (embedded) and PostgreSQL (cluster).
        .target(
            name: "SealedStore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Quote providers, report data, certificate extensions, verification of certificates and of
        // hardware evidence to the vendor roots (docs/attestation.md). _CryptoExtras: RSASSA-PSS of AMD's chain.
        .target(
            name: "Attestation",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // WASI 0.2 and enclave-os host interfaces, each in its own file (wit/ and docs/sdk.md).
        .target(
            name: "HostInterfaces",
            dependencies: [
                "Components", "SealedStore", "Egress",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // HTTPS egress for apps: TLS terminates in our process (wit/ and docs/sdk.md https).
        .target(
            name: "Egress",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // TLS listener, connection handling, dispatcher, app registry, call executor.
        .target(
            name: "EnclaveServer",
            dependencies: [
                "EnclaveProtocol", "Components", "HostInterfaces", "SealedStore", "Attestation", "Egress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // TLSUserEvent: the handshake deadline ends when the handshake completes.
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Client library: connect over TLS, send management messages, remote appraisal (HTTPS).
        .target(
            name: "EnclaveClient",
            dependencies: [
                "EnclaveProtocol", "Attestation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // SHA-256 of streamed loads and chunked responses.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The release number and the git commit (GitCommitPlugin), for `--version`.
        .target(name: "BuildInfo", plugins: ["GitCommitPlugin"]),
        .plugin(name: "GitCommitPlugin", capability: .buildTool()),
        // Build-time tool of EmbedFilesPlugin: folders of files → Swift source.
        .executableTarget(name: "embed-files"),
        .plugin(name: "EmbedFilesPlugin", capability: .buildTool(), dependencies: ["embed-files"]),
        .executableTarget(
            name: "enclave-os",
            dependencies: [
                "EnclaveServer", "Egress", "SealedStore", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The client CLI. Templates/ and Console/Assets/ are embedded into it at build time
        // (EmbedFilesPlugin), so an installed binary needs no files beside it.
        .executableTarget(
            name: "enclave",
            dependencies: [
                "EnclaveClient", "EnclaveProtocol", "Attestation", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            exclude: ["Console/Assets"],
            plugins: ["EmbedFilesPlugin"]
        ),
        // Runs the Component Model specification's .wast tests against Components
        // (Tests/Conformance/component-model; docs/components.md).
        .executableTarget(name: "enclave-conformance", dependencies: ["Components"]),
        // One release-mode benchmark command: `swift run -c release enclave-bench` (README, Performance).
        .executableTarget(
            name: "enclave-bench",
            dependencies: [
                "EnclaveServer", "EnclaveClient", "EnclaveProtocol", "Components", "Egress", "SealedStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "EnclaveProtocolTests",
            dependencies: [
                "EnclaveProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                // EmbeddedChannel: the frame codec's unit tests.
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "EnclaveClientTests",
            dependencies: [
                "EnclaveClient", "EnclaveProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "HostInterfacesTests", dependencies: ["HostInterfaces", "Components", "SealedStore"]),
        // Our component layer vs wasmtime (PyPI) on the same components and inputs.
        .testTarget(name: "DifferentialTests", dependencies: ["Components"], exclude: ["Guests"]),
        .testTarget(
            name: "EgressTests",
            dependencies: [
                "Egress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "SealedStoreTests", dependencies: ["SealedStore"]),
        // Vectors: real published SGX/TDX quotes and SNP reports with collateral (see its README).
        .testTarget(
            name: "AttestationTests",
            dependencies: ["Attestation", "EnclaveClient"],
            exclude: ["Vectors"]
        ),
        .testTarget(
            name: "ComponentsTests",
            dependencies: ["Components"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "EnclaveServerTests",
            dependencies: [
                "EnclaveServer", "EnclaveClient", "EnclaveProtocol", "Components", "SealedStore", "Attestation", "Egress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
