import Foundation

/// Reader for the CIFAR-10 binary version (`cifar-10-binary.tar.gz`).
///
/// Each file is a sequence of 3073-byte records: one label byte (0–9), then a 3×32×32 image,
/// channel-major (1024 red, 1024 green, 1024 blue bytes, each row-major) — exactly NCHW. The
/// training split is `data_batch_1.bin` … `data_batch_K.bin` (K = 5 as published; every batch
/// numbered from 1 up to the highest present must exist), the test split `test_batch.bin`.
/// The directory may also be the parent of the archive's `cifar-10-batches-bin` folder. Class
/// names come from `batches.meta.txt` when present.
public enum CIFARReader {
    public static let channels = 3
    public static let height = 32
    public static let width = 32
    public static let classCount = 10
    /// Bytes per record: 1 label + 3·32·32 pixels.
    public static let recordSize = 1 + channels * height * width

    /// CIFAR-10's class names, by class id (as in `batches.meta.txt`).
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    static let expectedFilesDescription = "data_batch_1.bin … data_batch_5.bin and test_batch.bin"
    static let archiveFolder = "cifar-10-batches-bin"

    /// Whether `directory` (or its `cifar-10-batches-bin` subfolder) holds CIFAR-10 batches.
    static func looksLikeCIFAR(_ directory: URL) -> Bool {
        let entries = directoryEntries(batchDirectory(directory))
        return entries.contains("test_batch.bin") || entries.contains { trainingBatchNumber($0) != nil }
    }

    /// `directory`, or its `cifar-10-batches-bin` subfolder when it has one.
    static func batchDirectory(_ directory: URL) -> URL {
        let nested = directory.appendingPathComponent(archiveFolder)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return nested
        }
        return directory
    }

    /// K of `data_batch_K.bin`, for K ≥ 1.
    static func trainingBatchNumber(_ name: String) -> Int? {
        guard name.hasPrefix("data_batch_"), name.hasSuffix(".bin") else { return nil }
        guard let number = Int(name.dropFirst("data_batch_".count).dropLast(".bin".count)), number >= 1 else { return nil }
        return number
    }

    /// Loads the training batches and the test batch from `directory`.
    public static func load(directory: URL) throws -> DatasetSplits {
        let folder = batchDirectory(directory)
        let entries = directoryEntries(folder)
        let highest = entries.compactMap(trainingBatchNumber).max() ?? 0
        let missing = highest == 0 ? 1 : (1...highest).first { !entries.contains("data_batch_\($0).bin") }
        if let missing {
            throw DatasetError.missingFile(
                path: folder.appendingPathComponent("data_batch_\(missing).bin").path,
                expected: "CIFAR-10 needs \(expectedFilesDescription)")
        }
        guard entries.contains("test_batch.bin") else {
            throw DatasetError.missingFile(
                path: folder.appendingPathComponent("test_batch.bin").path,
                expected: "CIFAR-10 needs \(expectedFilesDescription)")
        }
        let trainFiles = (1...highest).map { folder.appendingPathComponent("data_batch_\($0).bin") }
        let files = trainFiles + [folder.appendingPathComponent("test_batch.bin")]
        let batches = try concurrentMap(files) { try readBatch(at: $0) }
        let names = readClassNames(folder) ?? classNames
        let name = "cifar-10"
        return DatasetSplits(
            train: concatenate(batches.dropLast(), name: name + " (train)", classNames: names),
            test: concatenate(batches.suffix(1), name: name + " (test)", classNames: names))
    }

    /// One batch file: its images (pixels in [0, 1]) and labels.
    public struct Batch: Sendable, Equatable {
        public var pixels: [Float]
        public var labels: [Int]
    }

    /// Reads one CIFAR-10 binary batch file.
    public static func readBatch(at url: URL) throws -> Batch {
        let bytes = try Gzip.readPossiblyCompressed(contentsOf: url)
        let count = bytes.count / recordSize
        guard bytes.count % recordSize == 0 else {
            throw DatasetError.truncated(
                path: url.path, expectedBytes: (count + 1) * recordSize, actualBytes: bytes.count,
                what: "record \(count + 1) (\(recordSize)-byte records: 1 label + \(channels)×\(height)×\(width) pixels)")
        }
        let imageSize = recordSize - 1
        var labels = [Int](repeating: 0, count: count)
        var pixels = [Float](repeating: 0, count: count * imageSize)
        try bytes.withUnsafeBufferPointer { source in
            try pixels.withUnsafeMutableBufferPointer { destination in
                for record in 0..<count {
                    let start = record * recordSize
                    let label = Int(source[start])
                    guard label < classCount else {
                        throw DatasetError.labelOutOfRange(path: url.path, index: record, label: String(label), classCount: classCount)
                    }
                    labels[record] = label
                    writeUnitFloats(
                        fromPixels: UnsafeBufferPointer(rebasing: source[start + 1..<start + recordSize]),
                        into: UnsafeMutableBufferPointer(rebasing: destination[record * imageSize..<(record + 1) * imageSize]))
                }
            }
        }
        return Batch(pixels: pixels, labels: labels)
    }

    /// Class names from `batches.meta.txt` (one per line), when it lists exactly ten.
    static func readClassNames(_ folder: URL) -> [String]? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("batches.meta.txt"), encoding: .utf8) else { return nil }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.count == classCount ? names : nil
    }

    private static func concatenate(_ batches: ArraySlice<Batch>, name: String, classNames: [String]) -> Dataset {
        var images: [Float] = [], labels: [Int] = []
        images.reserveCapacity(batches.reduce(0) { $0 + $1.pixels.count })
        labels.reserveCapacity(batches.reduce(0) { $0 + $1.labels.count })
        for batch in batches {
            images.append(contentsOf: batch.pixels)
            labels.append(contentsOf: batch.labels)
        }
        return Dataset(
            unchecked: name, images: images, labels: labels,
            sampleShape: [channels, height, width], classCount: classCount, classNames: classNames)
    }
}
