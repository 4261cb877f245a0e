// swift-tools-version: 6.0
// hyperzoo: learn from model zoos (Schürholt et al., "Hyper-Representations", 2022).
// The target graph below is the module graph of docs/ARCHITECTURE.md: a target imports only
// what it lists. C libraries enter only through the C* system-library targets.
import PackageDescription
#if os(Linux)
import Foundation
#endif

/// Unoptimised SIMD8 code runs about a hundred times slower (every lane operation is a generic
/// call), and debug builds are what `swift test` uses: the tests train real, if tiny, networks.
/// So the compute rooms (Tensor, Nets) are optimised in debug builds too; everything above them
/// stays a plain debug build. Without this a 4-model, 1-epoch hz-zoo in the tests ran > 20 minutes.
let alwaysOptimized: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The compute core's kernels are SIMD8 loops. On an x86-64 host with AVX2 and FMA (read from
/// /proc/cpuinfo when the manifest is evaluated) Tensor is compiled for that CPU, which runs each
/// SIMD8 operation as one instruction instead of two: CNN-s training is about 1.45× faster.
/// HZ_FMA then lets the convolution loops use fused multiply-adds (Tensor `multiplyAdd`): one
/// rounding instead of two, so such a build's results differ from a non-FMA build's in the last
/// bits. Each build is deterministic (resume, thread counts) either way.
/// `-fno-math-errno` lets Float.squareRoot() (a C shim calling sqrtf) become the sqrt instruction
/// with no errno branch, so loops that take square roots (Adam) vectorise; sqrt stays exact.
let tensorSettings: [SwiftSetting] = {
    let noErrno: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
    #if os(Linux) && arch(x86_64)
    if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       info.contains(" avx2"), info.contains(" fma") {
        return [.unsafeFlags(["-target-cpu", "haswell"]), .define("HZ_FMA")] + noErrno + alwaysOptimized
    }
    #endif
    return noErrno + alwaysOptimized
}()

let stageExecutables = [
    "hz-convert", "hz-zoo", "hz-tokenize", "hz-augment", "hz-train",
    "hz-sample", "hz-eval", "hz-archive", "hz-pipeline", "hyperzoo",
]

let package = Package(
    name: "hyperzoo",
    products: stageExecutables.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libhdf5-dev, libarchive-dev, libopenblas-dev).
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Rooms, bottom to top.
        // Opening inputs without blocking (regular files only), whole-buffer writes, the one
        // atomic file write and the removal of temporaries killed runs left; no other dependency.
        .target(name: "FileIO"),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(name: "Archive", dependencies: ["CArchive", "FileIO"]),
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: tensorSettings),
        // zlib only: inflate (gzip, zlib, raw deflate), crc32, gunzipFile.
        .target(name: "Compression", dependencies: ["CZlib", "FileIO"]),
        // Work spread over threads, results in input order (concurrentMap); no other dependency.
        .target(name: "Parallel"),
        .target(name: "ZooStore", dependencies: ["HDF5", "FileIO"]),
        .target(name: "Formats", dependencies: ["ZooStore", "Compression", "FileIO", "Parallel"]),
        .target(name: "Nets", dependencies: ["Tensor", "ZooStore", "Compression", "FileIO", "Parallel"], swiftSettings: alwaysOptimized),
        .target(name: "HyperRep", dependencies: ["HDF5", "Tensor", "Nets", "ZooStore", "Parallel"]),
        // OpenMPI through dlopen (no link-time dependency): builds and runs without MPI installed.
        .target(name: "MPI"),
        // Work spread over MPI ranks: MPI_COMM_WORLD as HyperRep's TrainingGroup, and a zoo
        // trained as one shard per rank and merged on rank 0. No room below it imports MPI.
        .target(name: "Cluster", dependencies: ["MPI", "Nets", "HyperRep", "ZooStore"]),
        .target(name: "Pipeline", dependencies: [
            "HDF5", "Archive", "Tensor", "ZooStore", "Formats", "HyperRep", "FileIO", "Parallel",
        ]),
        .target(name: "HyperZooCLI", dependencies: [
            "Pipeline", "Tensor", "ZooStore", "Formats", "Nets", "HyperRep", "Archive", "FileIO", "MPI", "Cluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ] + stageExecutables.map { name in
        .executableTarget(name: name, dependencies: ["HyperZooCLI"], path: "Sources/Executables/\(name)")
    } + [
        // Benchmark drivers: built by tools/bench/bench-*, not user-facing products.
        // The machine ceiling (sgemm, memcpy) every benchmark's "fraction of the machine" divides by.
        .target(name: "BenchmarkCeiling", dependencies: ["CBLAS"], path: "Sources/Benchmarks/BenchmarkCeiling"),
        .executableTarget(name: "hz-bench-storage", dependencies: ["BenchmarkCeiling", "ZooStore", "HDF5"],
                          path: "Sources/Benchmarks/hz-bench-storage"),
        .executableTarget(name: "hz-bench-zoo-step", dependencies: ["Nets", "Tensor"],
                          path: "Sources/Benchmarks/hz-bench-zoo-step"),
        .executableTarget(name: "hz-bench-ae-step", dependencies: ["BenchmarkCeiling", "HyperRep", "Tensor", "ZooStore",
                                                            .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/Benchmarks/hz-bench-ae-step"),
        .executableTarget(name: "hz-bench-stream", dependencies: ["Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/Benchmarks/hz-bench-stream"),
        .executableTarget(name: "hz-mpi-check", dependencies: ["MPI"],
                          path: "Sources/Benchmarks/hz-mpi-check"),
        .target(name: "TestSupport", dependencies: [], path: "Tests/TestSupport"),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "ZooStoreTests", dependencies: ["ZooStore", "HDF5", "TestSupport"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "ZooStore", "TestSupport"]),
        .testTarget(name: "NetsTests", dependencies: ["Nets", "Tensor", "ZooStore", "Compression", "TestSupport"]),
        .testTarget(name: "HyperRepTests", dependencies: ["HyperRep", "Nets", "Tensor", "ZooStore", "Formats", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Archive", "ZooStore", "TestSupport"]),
        .testTarget(name: "MPITests", dependencies: ["MPI", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: [
            "HyperZooCLI", "Pipeline", "HyperRep", "Nets", "Formats", "ZooStore", "Tensor", "HDF5", "TestSupport",
        ]),
    ]
)
