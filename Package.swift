// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "DiffNAS",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "diffnas", targets: ["diffnas"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "ReferenceBackend", targets: ["ReferenceBackend"]),
        .library(name: "OpenCLBackend", targets: ["OpenCLBackend"]),
        .library(name: "OpenCLRuntime", targets: ["OpenCLRuntime"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "ONNX", targets: ["ONNX"]),
        .library(name: "CellSearch", targets: ["CellSearch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(
            name: "COpenCL",
            path: "Sources/COpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers", "pocl-opencl-icd"])]
        ),

        .systemLibrary(name: "CCLBlast", path: "Sources/CCLBlast", providers: [.apt(["libclblast-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        /// OpenBLAS and oneDNN, the native CPU comparators of `diffnas bench`, loaded with dlopen at run
        /// time (a machine without them builds, and its report says which comparator is missing and why).
        .target(
            name: "CHostLibraries", path: "Sources/CHostLibraries",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),

        // MARK: - Public API
        /// Thin Swift wrapper over the OpenCL C API: no ML in it.
        .target(name: "OpenCLRuntime", dependencies: ["COpenCL"], swiftSettings: strict),
        /// Tensors, shapes, op parameters and the `Backend` protocol every backend implements.
        .target(name: "TensorCore", swiftSettings: strict),
        /// The CPU reference backend: plain loops, the oracle the device kernels are tested against.
        .target(name: "ReferenceBackend", dependencies: ["TensorCore"], swiftSettings: strict),
        /// The OpenCL backend: dispatches the kernels of `Kernels/*.cl`, embedded at build time.
        .target(
            name: "OpenCLBackend",
            // ReferenceBackend: the tuner checks every candidate against the spec.
            dependencies: ["TensorCore", "OpenCLRuntime", "ReferenceBackend"],
            swiftSettings: strict,
            plugins: [.plugin(name: "EmbedKernelsPlugin")]
        ),
        /// Data sets: IDX (MNIST/Fashion-MNIST), CIFAR-10 binary, .npy folders; augmentation and prefetching batches.
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib"], swiftSettings: strict),
        /// Autograd, layers, losses, optimizers, architectures and the training loop.
        .target(name: "NN", dependencies: ["TensorCore"], swiftSettings: strict),
        /// The training loop: batches from Datasets through an NN network, checkpoints, metrics, progress.
        .target(name: "Training", dependencies: ["NN", "Datasets", "TensorCore"], swiftSettings: strict),
        /// DMS: differentiable top-k units, resource models, the search loop, export.
        .target(name: "Search", dependencies: ["NN", "Training", "Datasets", "TensorCore"], swiftSettings: strict),
        /// The DARTS family: cell search spaces (NAS-Bench-201, DARTS), their operations, genotypes,
        /// and the cell searches (DARTS first order, GDAS).
        .target(name: "CellSearch", dependencies: ["NN", "Training", "Datasets", "TensorCore", "Search"], swiftSettings: strict),
        /// ONNX export of trained networks; `onnx.pb.swift` is generated from onnx.proto once and committed
        /// (`Tools/scripts/generate-onnx-proto.sh`).
        .target(
            name: "ONNX",
            dependencies: ["NN", "TensorCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strict
        ),
        /// `diffnas bench`: timed, reference-checked cases against comparators (CLBlast, OpenBLAS, oneDNN,
        /// O(N²) ranking, copy and STREAM bandwidth).
        .target(
            name: "Benchmarks",
            dependencies: [
                "TensorCore", "ReferenceBackend", "OpenCLBackend", "OpenCLRuntime", "NN", "Training", "Datasets", "Search", "CCLBlast",
                "CHostLibraries", "CellSearch", "Verification",
            ],
            swiftSettings: strict
        ),
        /// Device-vs-reference checks shared by `diffnas verify` and the test suite.
        .target(name: "Verification", dependencies: ["TensorCore", "ReferenceBackend"], swiftSettings: strict),
        /// The library example: a tiny search, evaluation and ONNX export from Swift code (run in CI).
        .executableTarget(
            name: "diffnas-example", dependencies: ["NN", "Datasets", "TensorCore", "ReferenceBackend", "Training", "Search", "ONNX"],
            path: "Examples/SearchAndExport", swiftSettings: strict),
        .executableTarget(
            name: "diffnas",
            dependencies: [
                "TensorCore", "ReferenceBackend", "OpenCLBackend", "OpenCLRuntime", "Verification", "NN", "Datasets", "Training",
                "Benchmarks", "Search", "ONNX", "CellSearch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: - Build tools
        .executableTarget(name: "EmbedKernels", path: "Tools/EmbedKernels"),
        .plugin(name: "EmbedKernelsPlugin", capability: .buildTool(), dependencies: ["EmbedKernels"], path: "Tools/EmbedKernelsPlugin"),

        // MARK: - Test support and unit test bundles
        .target(name: "_TestSupport", dependencies: ["TensorCore", "ReferenceBackend", "OpenCLBackend"], swiftSettings: strict),
        .testTarget(name: "OpenCLRuntimeTests", dependencies: ["OpenCLRuntime", "OpenCLBackend", "_TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ReferenceBackendTests", dependencies: ["ReferenceBackend", "TensorCore", "_TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "EquivalenceTests",
            dependencies: ["ReferenceBackend", "OpenCLBackend", "TensorCore", "Verification", "_TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore", "_TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "NNTests", dependencies: ["NN", "Datasets", "TensorCore", "ReferenceBackend", "OpenCLBackend", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "TrainingTests", dependencies: ["Training", "NN", "Datasets", "TensorCore", "ReferenceBackend", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "BenchmarksTests", dependencies: ["Benchmarks", "NN", "OpenCLBackend", "TensorCore", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ONNXTests",
            dependencies: ["ONNX", "NN", "Datasets", "TensorCore", "Training", "Search", "OpenCLBackend", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "SearchTests", dependencies: ["Search", "NN", "Training", "Datasets", "TensorCore", "ReferenceBackend", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CellSearchTests",
            dependencies: ["CellSearch", "NN", "Datasets", "TensorCore", "ReferenceBackend", "OpenCLBackend", "_TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["TensorCore", "_TestSupport"], swiftSettings: strict),
    ]
)

// The libFuzzer targets (Tools/Fuzz): built only by Tools/fuzz/run.sh, which sets DIFFNAS_FUZZ=1 and
// compiles with -sanitize=fuzzer,address (libFuzzer supplies `main`, so an ordinary build leaves it out).
if Context.environment["DIFFNAS_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "diffnas-fuzz",
            dependencies: ["TensorCore", "ReferenceBackend", "OpenCLBackend", "OpenCLRuntime", "NN", "Datasets", "Training", "Search"],
            path: "Tools/Fuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
}
