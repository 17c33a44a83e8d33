// swift-tools-version:6.0
import PackageDescription

/// Keeps `_Concurrency` and `_StringProcessing` out of the module: nothing here needs them,
/// and every module linked into the `.so` is code loaded into sshd or saslauthd.
let lean: [SwiftSetting] = [
    .unsafeFlags([
        "-Xfrontend", "-disable-implicit-concurrency-module-import",
        "-Xfrontend", "-disable-implicit-string-processing-module-import",
        "-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors",
    ])
]

/// The executables carry the Swift runtime (and Foundation) inside them, so the .deb needs no
/// toolchain. A link flag of these two targets rather than `swift build --static-swift-stdlib`:
/// that option changes the whole build's parameters, and every switch between it and the
/// module's and the tests' builds recompiled everything, SwiftNIO included.
let staticRuntime: [LinkerSetting] = [
    .unsafeFlags([
        "-static-stdlib", "-Xlinker", "--start-group", "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
        "-Xlinker", "--end-group",
    ])
]

let package = Package(
    name: "pam-mysql-swift",
    products: [
        // Built as .build/<config>/libpam_mysql.so; the Makefile copies it to build/pam_mysql.so.
        .library(name: "pam_mysql", type: .dynamic, targets: ["CShim"]),
        // The administrator's tool (check, hash, auth), built from the same core; no CShim.
        .executable(name: "pam-mysql", targets: ["pam-mysql"]),
        // The auth daemon: saslauthd's and Dovecot's protocols straight to the database; no libpam.
        .executable(name: "pam-mysql-authd", targets: ["pam-mysql-authd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The daemon only: no library target and no test target depends on these.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `--metrics`: the Prometheus text format, for the daemon only.
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CPAM", path: "Sources/CPAM"),
        // prctl(2) for the daemon (variadic in C, so not imported by Swift).
        .systemLibrary(name: "CProcessControl", path: "Sources/CProcessControl"),
        // libpam's application API (pam_start…), for the tool only.
        .systemLibrary(name: "CPAMAppl", path: "Sources/CPAMAppl"),
        .systemLibrary(name: "CMariaDB", path: "Sources/CMariaDB"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .systemLibrary(name: "CXCrypt", path: "Sources/CXCrypt"),
        // Argon2 for Dovecot's ARGON2I/ARGON2ID schemes (libsodium, as Dovecot itself uses).
        .systemLibrary(name: "CSodium", path: "Sources/CSodium"),
        // No PAM, no database: options, config file, password schemes, outcomes.
        .target(
            name: "PAMMySQLCore",
            dependencies: ["COpenSSL", "CXCrypt", "CSodium"],
            swiftSettings: lean
        ),
        // The user table in MariaDB, without PAM: connections, the pool, failover, the session,
        // the account lookup and the login decision. Shared by the module, the tool and the
        // auth daemon.
        .target(
            name: "AccountDatabase",
            dependencies: ["PAMMySQLCore", "CMariaDB"],
            swiftSettings: lean
        ),
        // pam.d files as libpam reads them (lines, brackets, continuations, @include), for the
        // tool and the auth daemon; not linked into the module.
        .target(
            name: "PAMStack",
            dependencies: ["PAMMySQLCore"]
        ),
        // The auth daemon without I/O: protocol parsers and state machines, its configuration.
        .target(
            name: "AuthDaemonCore",
            dependencies: ["PAMMySQLCore", "PAMStack"]
        ),
        // The PAM module: entry points, the PAM handle, the flows, and the one mapping from the
        // database layer's decisions to PAM codes.
        .target(
            name: "PAMMySQL",
            dependencies: ["AccountDatabase", "PAMMySQLCore", "CPAM"],
            swiftSettings: lean
        ),
        // The pam_sm_* exports, in C so the compiler checks them against <security/pam_modules.h>.
        // The link flags live here because only the module product depends on this target:
        // the test executables must keep the toolchain's dynamic runtime.
        .target(
            name: "CShim",
            dependencies: ["PAMMySQL"],
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib",
                    "-use-ld=lld",
                    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/CShim/exports.map",
                    "-Xlinker", "-z", "-Xlinker", "nodelete",
                    "-Xlinker", "-z", "-Xlinker", "defs",
                    // Full RELRO (the GOT read-only once relocated), as Debian builds its own
                    // modules; libpam opens modules with RTLD_NOW, so it costs nothing at load.
                    "-Xlinker", "-z", "-Xlinker", "now",
                    // The unwinder the static libstdc++ and runtime need, from libgcc_eh.a
                    // (hidden like the rest) instead of libgcc_s.so: one library fewer to open,
                    // map and relocate in every process (0.09 M instructions). No exception
                    // crosses the module's C entry points.
                    "-Xlinker", "-lgcc_eh",
                    // The ~500 functions a fresh-process login runs, together at the start of
                    // .text (bench/module_order.py writes the list; names no longer found are
                    // skipped): 12 text page faults per login instead of 28.
                    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/CShim/hot_functions.order",
                    "-Xlinker", "--no-warn-symbol-ordering",
                ])
            ]
        ),
        .executableTarget(
            name: "pam-mysql",
            dependencies: [
                // AuthDaemonCore (no NIO): `check --postfix` reads pam-mysql-authd's configuration
                // and services as the daemon does.
                "AccountDatabase", "PAMMySQLCore", "PAMStack", "AuthDaemonCore", "CPAMAppl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime
        ),
        // The daemon: listeners (SwiftNIO), the login service on thread pools, logging, lifecycle.
        // Its logic without I/O lives in AuthDaemonCore, where the unit tests reach it.
        .executableTarget(
            name: "pam-mysql-authd",
            dependencies: [
                "AuthDaemonCore", "AccountDatabase", "PAMMySQLCore", "PAMStack", "CProcessControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            linkerSettings: staticRuntime
        ),
        .testTarget(
            name: "PAMMySQLCoreTests",
            dependencies: ["PAMMySQLCore"]
        ),
        // The session, pool, failover and decision rules through a fake connection: no server.
        .testTarget(
            name: "AuthDaemonCoreTests",
            dependencies: ["AuthDaemonCore", "PAMMySQLCore", "PAMStack"]
        ),
        .testTarget(
            name: "PAMStackTests",
            dependencies: ["PAMStack"]
        ),
        .testTarget(
            name: "AccountDatabaseTests",
            dependencies: ["AccountDatabase", "PAMMySQLCore"]
        ),
        // The PAM code table against <security/_pam_types.h>, and the decision-to-PAM mapping.
        .testTarget(
            name: "PAMMySQLTests",
            dependencies: ["PAMMySQL", "AccountDatabase", "PAMMySQLCore", "CPAM"]
        ),
    ]
)
