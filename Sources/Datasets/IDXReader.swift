import Foundation

/// Reader for the IDX files of MNIST and Fashion-MNIST, raw or gzip-compressed.
///
/// An IDX file is a big-endian header — magic `0x0000 08 0D` (unsigned bytes, D dimensions),
/// then D sizes of 4 bytes — followed by the bytes of the array. Images are `0x00000803`
/// (`[count, rows, cols]`), labels `0x00000801` (`[count]`). A directory holds the standard
/// four files, each optionally with `.gz`: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (the `train-images.idx3-ubyte` spelling is
/// accepted too). Both data sets have 10 classes; images load as `[count, 1, rows, cols]`.
public enum IDXReader {
    /// Magic number of an IDX file of unsigned bytes with 3 dimensions.
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an IDX file of unsigned bytes with 1 dimension.
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Classes of MNIST and Fashion-MNIST.
    public static let classCount = 10

    /// Fashion-MNIST's class names, by class id.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// The four files of a split pair, by role.
    enum Role: CaseIterable {
        case trainImages, trainLabels, testImages, testLabels

        /// Accepted base names (without `.gz`), the standard one first.
        var baseNames: [String] {
            switch self {
            case .trainImages: ["train-images-idx3-ubyte", "train-images.idx3-ubyte"]
            case .trainLabels: ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"]
            case .testImages: ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"]
            case .testLabels: ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"]
            }
        }

        /// The first accepted name present in `entries`, raw name before `.gz`.
        func file(in entries: Set<String>) -> String? {
            for base in baseNames {
                if entries.contains(base) { return base }
                if entries.contains(base + ".gz") { return base + ".gz" }
            }
            return nil
        }
    }

    static let expectedFilesDescription =
        "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"

    /// Whether `directory` holds at least one of the standard IDX files.
    static func looksLikeIDX(_ directory: URL) -> Bool {
        let entries = directoryEntries(directory)
        return Role.allCases.contains { $0.file(in: entries) != nil }
    }

    /// Loads the train and test splits from the standard files in `directory`.
    public static func load(directory: URL) throws -> DatasetSplits {
        let entries = directoryEntries(directory)
        let files = try Role.allCases.map { role -> URL in
            guard let name = role.file(in: entries) else {
                throw DatasetError.missingFile(
                    path: directory.appendingPathComponent(role.baseNames[0]).path,
                    expected: "IDX data sets need \(expectedFilesDescription)")
            }
            return directory.appendingPathComponent(name)
        }
        let name = datasetName(for: directory)
        let classNames = name.lowercased().contains("fashion") ? fashionMNISTClassNames : (0..<10).map(String.init)
        let (train, test) =
            (try concurrentMap([(files[0], files[1]), (files[2], files[3])]) { images, labels in
                try readSplit(images: images, labels: labels)
            }).splat()
        guard (test.height, test.width) == (train.height, train.width) else {
            throw DatasetError.inconsistentShapes(
                path: files[2].path,
                problem: "test images are \(test.height)×\(test.width) but training images are \(train.height)×\(train.width)")
        }
        return DatasetSplits(
            train: Dataset(
                unchecked: name + " (train)", images: train.pixels, labels: train.labels,
                sampleShape: [1, train.height, train.width], classCount: classCount, classNames: classNames),
            test: Dataset(
                unchecked: name + " (test)", images: test.pixels, labels: test.labels,
                sampleShape: [1, test.height, test.width], classCount: classCount, classNames: classNames))
    }

    /// One split: images and labels read and cross-checked.
    struct Split: Sendable {
        var pixels: [Float], labels: [Int], height: Int, width: Int
    }

    static func readSplit(images imagesURL: URL, labels labelsURL: URL) throws -> Split {
        let images = try readImages(at: imagesURL)
        let labels = try readLabels(at: labelsURL)
        guard images.count == labels.count else {
            throw DatasetError.countMismatch(
                imagesPath: imagesURL.path, imageCount: images.count,
                labelsPath: labelsURL.path, labelCount: labels.count)
        }
        return Split(pixels: images.pixels, labels: labels, height: images.height, width: images.width)
    }

    /// The images of an IDX image file: `count` images of `height × width`, pixels in [0, 1].
    public struct IDXImages: Sendable, Equatable {
        public var count: Int, height: Int, width: Int
        public var pixels: [Float]
    }

    /// Reads an IDX image file (magic `0x00000803`), raw or gzipped, scaling pixels to [0, 1].
    public static func readImages(at url: URL) throws -> IDXImages {
        let bytes = try Gzip.readPossiblyCompressed(contentsOf: url)
        let dims = try header(bytes, path: url.path, magic: imagesMagic, kind: "IDX images: unsigned bytes, 3 dimensions")
        let payload = try checkedPayload(
            bytes, path: url.path, dims: dims,
            what: "\(dims[0]) images of \(dims[1])×\(dims[2]) after the 16-byte header")
        guard dims[1] > 0, dims[2] > 0 else {
            throw DatasetError.malformed(path: url.path, problem: "IDX images of \(dims[1])×\(dims[2]) pixels are empty")
        }
        let pixels = bytes.withUnsafeBufferPointer { unitFloats(fromPixels: UnsafeBufferPointer(rebasing: $0[payload])) }
        return IDXImages(count: dims[0], height: dims[1], width: dims[2], pixels: pixels)
    }

    /// Reads an IDX label file (magic `0x00000801`), raw or gzipped; every label must be below
    /// `classCount`.
    public static func readLabels(at url: URL, classCount: Int = classCount) throws -> [Int] {
        let bytes = try Gzip.readPossiblyCompressed(contentsOf: url)
        let dims = try header(bytes, path: url.path, magic: labelsMagic, kind: "IDX labels: unsigned bytes, 1 dimension")
        let payload = try checkedPayload(bytes, path: url.path, dims: dims, what: "\(dims[0]) labels after the 8-byte header")
        if let bad = bytes[payload].firstIndex(where: { Int($0) >= classCount }) {
            throw DatasetError.labelOutOfRange(
                path: url.path, index: bad - payload.lowerBound, label: String(bytes[bad]),
                classCount: classCount)
        }
        return bytes[payload].map { Int($0) }
    }

    /// Checks the magic number and returns the dimension sizes.
    private static func header(_ bytes: [UInt8], path: String, magic: UInt32, kind: String) throws -> [Int] {
        guard bytes.count >= 4 else {
            throw DatasetError.truncated(path: path, expectedBytes: 4, actualBytes: bytes.count, what: "the IDX magic number")
        }
        let found = bigEndianUInt32(bytes, at: 0)
        guard found == magic else { throw DatasetError.badMagic(path: path, found: found, expected: magic, kind: kind) }
        let rank = Int(magic & 0xFF), headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DatasetError.truncated(
                path: path, expectedBytes: headerSize, actualBytes: bytes.count,
                what: "the IDX header of \(rank) dimension sizes")
        }
        return (0..<rank).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
    }

    /// The byte range of the array data, checking the file size against the header.
    private static func checkedPayload(_ bytes: [UInt8], path: String, dims: [Int], what: String) throws -> Range<Int> {
        let headerSize = 4 + 4 * dims.count
        guard let dataSize = checkedProduct(dims), dataSize <= Int.max - headerSize else {
            throw DatasetError.malformed(path: path, problem: "IDX dimensions \(dims) are too large")
        }
        let expected = headerSize + dataSize
        guard bytes.count >= expected else {
            throw DatasetError.truncated(path: path, expectedBytes: expected, actualBytes: bytes.count, what: what)
        }
        guard bytes.count == expected else {
            throw DatasetError.trailingBytes(path: path, extraBytes: bytes.count - expected)
        }
        return headerSize..<expected
    }
}

extension Array {
    /// The two elements of a two-element array (as `concurrentMap` returns for two jobs).
    func splat() -> (Element, Element) { (self[0], self[1]) }
}
