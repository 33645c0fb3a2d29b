import CZlib
import Datasets
import Foundation
import TensorCore
import Testing
import _TestSupport

/// Small data set files written byte by byte, the way the published formats lay them out.
enum Fixtures {
    /// `count` pseudo-random bytes (all 256 values occur for large counts).
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// An IDX image file: magic 0x00000803, count, rows, cols, then the pixels.
    static func idxImages(count: Int, rows: Int, cols: Int, pixels: [UInt8], magic: UInt32 = 0x0000_0803) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(cols)) + pixels
    }

    /// An IDX label file: magic 0x00000801, count, then the labels.
    static func idxLabels(_ labels: [UInt8], magic: UInt32 = 0x0000_0801) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(labels.count)) + labels
    }

    /// CIFAR-10 records: one label byte then 3072 pixel bytes each.
    static func cifarRecords(labels: [UInt8], pixels: [UInt8]) -> [UInt8] {
        precondition(pixels.count == labels.count * 3072)
        var bytes: [UInt8] = []
        for (i, label) in labels.enumerated() { bytes += [label] + pixels[i * 3072..<(i + 1) * 3072] }
        return bytes
    }

    /// gzip-compresses `input` with zlib (deflateInit2, windowBits 31 = gzip wrapper).
    static func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        let status = deflateInit2_(stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer { deflateEnd(stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
        var input = input
        input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.pointee.next_in = source.baseAddress
                stream.pointee.avail_in = uInt(source.count)
                stream.pointee.next_out = destination.baseAddress
                stream.pointee.avail_out = uInt(destination.count)
                let result = deflate(stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
            }
        }
        return Array(output.prefix(Int(stream.pointee.total_out)))
    }

    static func write(_ bytes: [UInt8], to directory: URL, _ name: String) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    /// A small IDX data set (3 training and 2 test images of 4×5) with its expected contents.
    struct IDXSet {
        var trainPixels = Fixtures.randomBytes(3 * 20, seed: 1)
        var trainLabels: [UInt8] = [9, 0, 4]
        var testPixels = Fixtures.randomBytes(2 * 20, seed: 2)
        var testLabels: [UInt8] = [3, 7]

        /// The four files as their standard names map to bytes.
        var files: [String: [UInt8]] {
            [
                "train-images-idx3-ubyte": Fixtures.idxImages(count: 3, rows: 4, cols: 5, pixels: trainPixels),
                "train-labels-idx1-ubyte": Fixtures.idxLabels(trainLabels),
                "t10k-images-idx3-ubyte": Fixtures.idxImages(count: 2, rows: 4, cols: 5, pixels: testPixels),
                "t10k-labels-idx1-ubyte": Fixtures.idxLabels(testLabels),
            ]
        }

        /// Writes the files into `directory`, gzipped (with `.gz` names) when `gzipped`.
        func write(to directory: URL, gzipped: Bool, overriding overrides: [String: [UInt8]] = [:]) throws {
            for (name, bytes) in files {
                let content = overrides[name] ?? bytes
                try Fixtures.write(gzipped ? Fixtures.gzip(content) : content, to: directory, gzipped ? name + ".gz" : name)
            }
        }
    }

    /// A data set from explicit values (for normalization, shuffling and loader tests).
    static func dataset(count: Int, sampleShape: [Int] = [1, 2, 2], classCount: Int = 3, seed: UInt64 = 5) throws -> Dataset {
        var random = SeededRandom(seed: seed)
        let images = random.uniform(count * sampleShape.reduce(1, *), in: 0...1)
        let labels = (0..<count).map { $0 % classCount }
        return try Dataset(name: "fixture", images: images, labels: labels, sampleShape: sampleShape, classCount: classCount)
    }
}

/// The pixels of `bytes` as the readers must produce them.
func unitScaled(_ bytes: [UInt8]) -> [Float] { bytes.map { Float($0) / 255 } }

/// The `DatasetError` `body` throws (recording an issue when it throws nothing or another error).
func datasetError<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> DatasetError? {
    do {
        _ = try body()
        Issue.record("expected a DatasetError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DatasetError {
        return error
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A temporary directory for one test, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = try makeTemporaryDirectory("datasets-test")
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
