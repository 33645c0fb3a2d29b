// Coverage-guided fuzz targets (libFuzzer) for every reader of user files: .npy, IDX images and
// labels (raw and gzip), CIFAR-10 binary batches, .npy folders, architecture JSON, checkpoints
// (decoding, and restoring into a trainer and into a DMS search), safetensors weights, and the kernel
// tuning cache.
//
// Built by Tools/fuzz/run.sh with `-sanitize=fuzzer,address` (libFuzzer supplies `main`); the
// target is chosen with DIFFNAS_FUZZ_TARGET. A target passes when no input crashes, hangs or
// over-allocates: every malformed input must come back as a thrown error. With
// DIFFNAS_FUZZ_WRITE_SEEDS=DIR the binary writes that target's seed corpus of valid files into
// DIR and exits.
import Datasets
import Foundation
import NN
import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import Search
import TensorCore
import Training

enum FuzzTarget: String, CaseIterable {
    case npy, idxImages = "idx-images", idxLabels = "idx-labels", gzip, cifar, npyFolder = "npy-folder", architecture,
        checkpoint, trainCheckpoint = "train-checkpoint", searchCheckpoint = "search-checkpoint", tuningCache = "tuning-cache",
        safetensors
}

nonisolated(unsafe) var target: FuzzTarget = .npy
nonisolated(unsafe) var scratch = URL(fileURLWithPath: "/tmp")
nonisolated(unsafe) var trainer: Trainer?
nonisolated(unsafe) var search: DMSSearch?
nonisolated(unsafe) var tuning: (cache: TuningCache, key: TuningKey, device: Device)?

/// A small network, data set and search to restore fuzzed checkpoints into.
func makeFixtures() throws {
    let backend = ReferenceBackend()
    let input = Architecture.Input(channels: 1, height: 8, width: 8)
    let architecture = Architecture.cifarResNet(depth: 8, baseWidth: 2, input: input, classes: 2)
    let data = try Dataset(
        name: "fuzz", images: [Float](repeating: 0.5, count: 4 * 64), labels: [0, 1, 0, 1],
        sampleShape: [1, 8, 8], classCount: 2)
    var train = TrainingConfiguration()
    train.epochs = 1; train.batchSize = 2
    trainer = try Trainer(
        network: try Network(architecture, backend: backend, seed: 1), train: data, test: data, normalization: nil,
        configuration: train)
    var config = DMSConfiguration()
    config.steps = 2; config.batchSize = 2
    search = try DMSSearch(
        network: try Network(architecture, backend: backend, seed: 1), train: data, normalization: nil,
        resource: .macs, target: 0.8 * Double(architecture.resources.macs), configuration: config)
}

/// Valid inputs for `target`, the starting corpus.
func seeds() throws -> [Data] {
    switch target {
    case .npy:
        return [
            NPYFile.encode(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), NPYFile.encode(shape: [1, 1, 2, 2], values: [0, -1, 2.5, 7]),
            NPYFile.encode(shape: [0], values: []),
        ]
    case .idxImages:
        return [Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + (0..<8).map { UInt8($0 * 30) })]
    case .idxLabels:
        return [Data([0, 0, 8, 1, 0, 0, 0, 3, 1, 9, 0])]
    case .gzip:
        return [try Data(contentsOf: try gzipSeed())]
    case .cifar:
        return [Data((0..<2).flatMap { i in [UInt8(i)] + [UInt8](repeating: UInt8(i * 40), count: 3072) })]
    case .npyFolder:
        return [NPYFile.encode(shape: [2, 1, 2, 2], values: [Float](repeating: 0.25, count: 8))]
    case .architecture:
        let input = Architecture.Input(channels: 1, height: 8, width: 8)
        return try [
            Architecture.cifarResNet(depth: 8, baseWidth: 2, input: input, classes: 2).encoded(),
            Architecture.smallMobileNetV2(widthMultiplier: 0.25, input: input, classes: 3).encoded(),
            Architecture.mlp(hidden: [4, 3], input: input, classes: 2).encoded(),
        ]
    case .checkpoint, .trainCheckpoint:
        return [try trainer!.makeCheckpoint().encoded()]
    case .searchCheckpoint:
        return [try search!.makeCheckpoint().encoded()]
    case .safetensors:
        return [
            try trainer!.makeCheckpoint().safetensors(),
            try SafeTensors.encode([SafeTensors.Entry(name: "w", shape: [2, 2], values: [1, 2, 3, 4])], metadata: ["k": "v"]),
        ]
    case .tuningCache:
        guard let tuning else { return [] }
        let record = TuningRecord(key: tuning.key, chosen: .defaults, measurements: [], tunedAt: "2026-01-01T00:00:00Z", seconds: 1)
        return [try record.jsonData()]
    }
}

/// A gzip file of IDX labels made with the system's gzip (the reader's own inflate is under test).
func gzipSeed() throws -> URL {
    let raw = scratch.appendingPathComponent("seed-labels"), packed = scratch.appendingPathComponent("seed-labels.gz")
    try Data([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]).write(to: raw)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -c '\(raw.path)' > '\(packed.path)'"]
    try process.run()
    process.waitUntilExit()
    return packed
}

/// One input through the target's entry point. Thrown errors are the expected outcome.
func exercise(_ bytes: Data) {
    func file(_ name: String) -> URL {
        let url = scratch.appendingPathComponent(name)
        try? bytes.write(to: url)
        return url
    }
    switch target {
    case .npy: _ = try? NPYFile.decode(bytes)
    case .idxImages: _ = try? IDXReader.readImages(at: file("images-idx3-ubyte"))
    case .idxLabels: _ = try? IDXReader.readLabels(at: file("labels-idx1-ubyte"))
    case .gzip: _ = try? Gzip.inflate([UInt8](bytes))
    case .cifar: _ = try? CIFARReader.readBatch(at: file("data_batch_1.bin"))
    case .npyFolder:
        let folder = scratch.appendingPathComponent("npy-folder")
        let labels = NPYFile.encode(shape: [2], values: [0, 1])
        for (name, data) in [("train_x.npy", bytes), ("train_y.npy", labels), ("test_x.npy", bytes), ("test_y.npy", labels)] {
            try? data.write(to: folder.appendingPathComponent(name))
        }
        _ = try? NPYFolderReader.load(directory: folder)
    case .architecture:
        if let a = try? Architecture.decode(bytes) { _ = a.resources; _ = SearchSpace(a).units }
    case .checkpoint: _ = try? Checkpoint.decode(bytes)
    case .trainCheckpoint: if let c = try? Checkpoint.decode(bytes) { try? trainer!.restore(from: c) }
    case .searchCheckpoint: if let c = try? Checkpoint.decode(bytes) { try? search!.restore(from: c) }
    case .safetensors: _ = try? SafeTensors.decode(bytes)
    case .tuningCache:
        guard let tuning, let url = tuning.cache.fileURL(for: tuning.key) else { return }
        try? bytes.write(to: url)
        _ = tuning.cache.lookup(tuning.key, device: tuning.device)
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>
) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["DIFFNAS_FUZZ_TARGET"], let chosen = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(
            Data("set DIFFNAS_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    target = chosen
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("diffnas-fuzz-\(name)-\(getpid())")
    try? FileManager.default.createDirectory(at: scratch.appendingPathComponent("npy-folder"), withIntermediateDirectories: true)
    do {
        try makeFixtures()
        if target == .tuningCache, let device = try? Device.select() {
            let cache = TuningCache(directory: scratch.appendingPathComponent("tuning"))
            try? FileManager.default.createDirectory(at: scratch.appendingPathComponent("tuning"), withIntermediateDirectories: true)
            tuning = (cache, TuningKey(device: device, kernelDigest: "fuzz"), device)
        }
        if let dir = environment["DIFFNAS_FUZZ_WRITE_SEEDS"] {
            let folder = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (i, seed) in try seeds().enumerated() { try seed.write(to: folder.appendingPathComponent("seed-\(i)")) }
            exit(0)
        }
    } catch {
        FileHandle.standardError.write(Data("fuzz set-up failed: \(error)\n".utf8))
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    exercise(Data(bytes: data, count: size))
    return 0
}

/// libFuzzer's driver, for SwiftPM's renamed entry point of an executable module.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable module's entry as `<module>_main`; hand control to libFuzzer.
@_cdecl("diffnas_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzerTestOneInput(data, size) }
}
