import Foundation
import TensorCore

/// A labelled image classification data set held in memory.
///
/// Images are Float32 in NCHW order (`[count, channels, height, width]` flattened row-major);
/// readers of byte formats scale pixels to [0, 1]. Labels are class ids in `0..<classCount`.
public struct Dataset: Sendable, Equatable {
    /// A short name for logs, e.g. "fashion-mnist (train)".
    public var name: String
    /// `count · sampleSize` values, sample after sample, each `[C, H, W]`.
    public private(set) var images: [Float]
    /// One class id per sample.
    public private(set) var labels: [Int]
    /// Shape of one sample: `[C, H, W]`.
    public let sampleShape: [Int]
    /// Number of classes; every label is below it.
    public let classCount: Int
    /// Class names when the format provides them (or they are well known), else empty.
    public var classNames: [String]

    /// Creates a data set, checking that `images` holds `labels.count` samples of
    /// `sampleShape` and that every label is in `0..<classCount`.
    public init(
        name: String, images: [Float], labels: [Int], sampleShape: [Int], classCount: Int,
        classNames: [String] = []
    ) throws {
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DatasetError.invalidArgument("\(name): sample shape \(sampleShape) is not [C, H, W] with positive sizes")
        }
        guard classCount > 0 else { throw DatasetError.invalidArgument("\(name): class count \(classCount) must be positive") }
        let sampleSize = sampleShape.reduce(1, *)
        guard images.count == labels.count * sampleSize else {
            throw DatasetError.inconsistentShapes(
                path: name, problem: "\(images.count) image values are not \(labels.count) samples of \(sampleShape)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw DatasetError.labelOutOfRange(path: name, index: bad, label: String(labels[bad]), classCount: classCount)
        }
        self.init(
            unchecked: name, images: images, labels: labels, sampleShape: sampleShape, classCount: classCount,
            classNames: classNames)
    }

    /// For readers that have validated their input already.
    init(unchecked name: String, images: [Float], labels: [Int], sampleShape: [Int], classCount: Int, classNames: [String]) {
        self.name = name
        self.images = images
        self.labels = labels
        self.sampleShape = sampleShape
        self.classCount = classCount
        self.classNames = classNames.count == classCount ? classNames : []
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Values per sample, `C·H·W`.
    public var sampleSize: Int { sampleShape.reduce(1, *) }
    public var channels: Int { sampleShape[0] }
    public var height: Int { sampleShape[1] }
    public var width: Int { sampleShape[2] }
    /// Shape of all images: `[count, C, H, W]`.
    public var imagesShape: [Int] { [count] + sampleShape }

    /// The values of sample `index`, `[C, H, W]` flattened.
    public func image(at index: Int) -> ArraySlice<Float> {
        images[index * sampleSize..<(index + 1) * sampleSize]
    }

    /// Number of samples of each class.
    public var classHistogram: [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[label] += 1 }
        return histogram
    }

    /// The samples at `indices`, in that order (indices may repeat).
    public func subset(_ indices: some Collection<Int>, name: String? = nil) -> Dataset {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < count }, "subset index out of range 0..<\(count)")
        let size = sampleSize
        let selected = [Float](unsafeUninitializedCapacity: indices.count * size) { buffer, initialized in
            images.withUnsafeBufferPointer { source in
                var offset = 0
                for index in indices {
                    let from = source.baseAddress! + index * size
                    (buffer.baseAddress! + offset).initialize(from: from, count: size)
                    offset += size
                }
            }
            initialized = indices.count * size
        }
        return Dataset(
            unchecked: name ?? self.name, images: selected, labels: indices.map { labels[$0] },
            sampleShape: sampleShape, classCount: classCount, classNames: classNames)
    }

    /// The data set in a seeded random order: the same seed gives the same order on every run
    /// and platform (see `seededPermutation`).
    public func shuffled(seed: UInt64) -> Dataset {
        subset(seededPermutation(count: count, seed: seed))
    }

    /// Splits off a random `validationFraction` of the samples (rounded to the nearest count) as a
    /// validation set. Both parts keep the original sample order; the choice depends only on
    /// `seed`. `validationFraction` must be in [0, 1].
    public func split(validationFraction: Double, seed: UInt64) throws -> (train: Dataset, validation: Dataset) {
        guard validationFraction >= 0, validationFraction <= 1 else {
            throw DatasetError.invalidArgument("validation fraction \(validationFraction) is not in [0, 1]")
        }
        let validationCount = Int((validationFraction * Double(count)).rounded())
        let permutation = seededPermutation(count: count, seed: seed)
        let validation = permutation[..<validationCount].sorted()
        let train = permutation[validationCount...].sorted()
        return (subset(train, name: name + " [train split]"), subset(validation, name: name + " [validation split]"))
    }
}

/// The training and test parts of a data set as published.
public struct DatasetSplits: Sendable, Equatable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}

/// The on-disk formats `loadDataset(at:)` understands.
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// MNIST / Fashion-MNIST IDX files, raw or gzipped (`IDXReader`).
    case idx
    /// CIFAR-10 binary batches (`CIFARReader`).
    case cifar10
    /// A folder of `.npy` arrays (`NPYFolderReader`).
    case npyFolder
}

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
public let defaultDatasetDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist/", isDirectory: true)

/// What `loadDataset(at:)` looks for, for error messages.
let supportedLayoutsDescription =
    "one of: IDX files \(IDXReader.expectedFilesDescription) (MNIST, Fashion-MNIST); "
    + "CIFAR-10 binary \(CIFARReader.expectedFilesDescription); or NumPy \(NPYFolderReader.expectedFilesDescription)"

/// The format of the data set in `directory`, or nil when none is recognised.
public func detectDatasetFormat(in directory: URL) -> DatasetFormat? {
    if IDXReader.looksLikeIDX(directory) { return .idx }
    if CIFARReader.looksLikeCIFAR(directory) { return .cifar10 }
    if NPYFolderReader.looksLikeNPYFolder(directory) { return .npyFolder }
    return nil
}

/// Loads the train and test splits of the data set in directory `path`, detecting its format:
/// IDX (MNIST, Fashion-MNIST), CIFAR-10 binary, or the `.npy` folder convention. Throws a
/// `DatasetError` naming the file and the problem, or listing the expected files when the
/// directory matches no format.
public func loadDataset(at path: URL = defaultDatasetDirectory) throws -> DatasetSplits {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
        throw DatasetError.missingFile(path: path.path, expected: "a data set directory holding " + supportedLayoutsDescription)
    }
    guard isDirectory.boolValue else {
        throw DatasetError.malformed(
            path: path.path, problem: "not a directory; expected a directory holding " + supportedLayoutsDescription)
    }
    switch detectDatasetFormat(in: path) {
    case .idx: return try IDXReader.load(directory: path)
    case .cifar10: return try CIFARReader.load(directory: path)
    case .npyFolder: return try NPYFolderReader.load(directory: path)
    case nil:
        let found = (try? FileManager.default.contentsOfDirectory(atPath: path.path))?.sorted() ?? []
        throw DatasetError.unrecognizedLayout(directory: path.path, found: found, expected: supportedLayoutsDescription)
    }
}

/// The directory's last path component, as a data set name.
func datasetName(for directory: URL) -> String {
    let name = directory.standardizedFileURL.lastPathComponent
    return name.isEmpty || name == "/" ? "dataset" : name
}
