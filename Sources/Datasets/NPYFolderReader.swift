import Foundation
import TensorCore

/// Reader for a data set stored as a folder of NumPy `.npy` arrays (Float32, C order — what
/// `NPYFile` reads).
///
/// The convention:
/// - `train_x.npy`: training images, shape `[N, C, H, W]`, or `[N, H, W]` for one channel.
///   Values are used as they are (not rescaled): save pixels already scaled, e.g. to [0, 1], to
///   match the other readers. Channels-last arrays must be transposed to NCHW first.
/// - `train_y.npy`: shape `[N]`, the class id of each training image as an integral float.
/// - `test_x.npy`, `test_y.npy`: the test split, same layout and sample shape.
/// - `classes.txt` (optional): one class name per line; the number of lines is the class
///   count. Without it the class count is one more than the largest label of either split.
///
/// Example (Python): `np.save("train_x.npy", (x / 255).astype(np.float32)[:, None])`,
/// `np.save("train_y.npy", y.astype(np.float32))`.
public enum NPYFolderReader {
    public static let trainImagesFile = "train_x.npy"
    public static let trainLabelsFile = "train_y.npy"
    public static let testImagesFile = "test_x.npy"
    public static let testLabelsFile = "test_y.npy"
    public static let classNamesFile = "classes.txt"

    static let expectedFilesDescription =
        "train_x.npy ([N, C, H, W] or [N, H, W]), train_y.npy ([N] class ids), test_x.npy, test_y.npy"
    static let allFiles = [trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile]

    /// Whether `directory` holds any of the convention's array files.
    static func looksLikeNPYFolder(_ directory: URL) -> Bool {
        let entries = directoryEntries(directory)
        return allFiles.contains { entries.contains($0) }
    }

    /// Loads the train and test splits from `directory`.
    public static func load(directory: URL) throws -> DatasetSplits {
        let entries = directoryEntries(directory)
        if let missing = allFiles.first(where: { !entries.contains($0) }) {
            throw DatasetError.missingFile(
                path: directory.appendingPathComponent(missing).path,
                expected: ".npy data sets need \(expectedFilesDescription)")
        }
        let arrays = try concurrentMap(allFiles.map { directory.appendingPathComponent($0) }) { url in
            (url: url, array: try readArray(url))
        }
        let train = try split(images: arrays[0], labels: arrays[1])
        let test = try split(images: arrays[2], labels: arrays[3])
        guard test.sampleShape == train.sampleShape else {
            throw DatasetError.inconsistentShapes(
                path: arrays[2].url.path, problem: "test samples are \(test.sampleShape) but training samples are \(train.sampleShape)")
        }

        let classNames = try readClassNames(directory.appendingPathComponent(classNamesFile))
        let classCount = classNames?.count ?? (max(train.labels.max() ?? -1, test.labels.max() ?? -1) + 1)
        for (part, labelsFile) in [(train, arrays[1].url), (test, arrays[3].url)] {
            if let bad = part.labels.firstIndex(where: { $0 >= classCount }) {
                throw DatasetError.labelOutOfRange(
                    path: labelsFile.path, index: bad, label: String(part.labels[bad]),
                    classCount: classCount)
            }
        }
        guard classCount > 0 else {
            throw DatasetError.malformed(path: directory.path, problem: "no samples and no \(classNamesFile): the class count is unknown")
        }
        let name = datasetName(for: directory)
        func dataset(_ part: Split, _ suffix: String) -> Dataset {
            Dataset(
                unchecked: "\(name) (\(suffix))", images: part.images, labels: part.labels, sampleShape: part.sampleShape,
                classCount: classCount, classNames: classNames ?? [])
        }
        return DatasetSplits(train: dataset(train, "train"), test: dataset(test, "test"))
    }

    struct Split {
        var images: [Float], labels: [Int], sampleShape: [Int]
    }

    /// Checks the shapes of one split and converts its float labels to class ids (≥ 0; the
    /// upper bound is checked once the class count is known).
    static func split(
        images: (url: URL, array: (shape: [Int], values: [Float])),
        labels: (url: URL, array: (shape: [Int], values: [Float]))
    ) throws -> Split {
        let imageShape = images.array.shape, labelShape = labels.array.shape
        guard imageShape.count == 3 || imageShape.count == 4 else {
            throw DatasetError.inconsistentShapes(
                path: images.url.path, problem: "images have shape \(imageShape); expected [N, C, H, W] or [N, H, W]")
        }
        let sampleShape = imageShape.count == 3 ? [1] + imageShape.dropFirst() : Array(imageShape.dropFirst())
        guard sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DatasetError.inconsistentShapes(path: images.url.path, problem: "sample shape \(sampleShape) has an empty dimension")
        }
        guard labelShape.count == 1 else {
            throw DatasetError.inconsistentShapes(path: labels.url.path, problem: "labels have shape \(labelShape); expected [N]")
        }
        guard labelShape[0] == imageShape[0] else {
            throw DatasetError.countMismatch(
                imagesPath: images.url.path, imageCount: imageShape[0],
                labelsPath: labels.url.path, labelCount: labelShape[0])
        }
        var classIDs = [Int](repeating: 0, count: labelShape[0])
        for (index, value) in labels.array.values.enumerated() {
            guard value >= 0, value < 16_777_216, value.rounded() == value else {
                throw DatasetError.labelOutOfRange(
                    path: labels.url.path, index: index, label: "\(value)",
                    classCount: nil)
            }
            classIDs[index] = Int(value)
        }
        return Split(images: images.array.values, labels: classIDs, sampleShape: sampleShape)
    }

    static func readArray(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        do { return try NPYFile.read(contentsOf: url) } catch let error as NPYFile.FormatError {
            let prefix = url.path + ": "
            let problem = error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
            throw DatasetError.malformed(path: url.path, problem: problem)
        }
    }

    /// Non-empty lines of `classes.txt`, or nil when the file is absent.
    static func readClassNames(_ url: URL) throws -> [String]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let text = try String(contentsOf: url, encoding: .utf8)
            return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } catch {
            throw DatasetError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}
