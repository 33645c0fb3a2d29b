/// Why a data set could not be loaded or used. Every case prints as one line that names the
/// file (or directory) and the problem, so a user can fix the data without reading code.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file the detected format needs is absent; `expected` says what should be there.
    case missingFile(path: String, expected: String)
    /// The directory holds no recognised data set; `expected` lists the supported layouts.
    case unrecognizedLayout(directory: String, found: [String], expected: String)
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file ends before the data its header (or record size) promises.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int, what: String)
    /// The file has bytes after the data its header promises.
    case trailingBytes(path: String, extraBytes: Int)
    /// The file's magic number is not the one of its expected kind.
    case badMagic(path: String, found: UInt32, expected: UInt32, kind: String)
    /// An image file and its label file disagree on the number of samples.
    case countMismatch(imagesPath: String, imageCount: Int, labelsPath: String, labelCount: Int)
    /// A label is not a class id in `0..<classCount` (`label` is printed as found in the file);
    /// `classCount` is nil when the label is not even a non-negative integer.
    case labelOutOfRange(path: String, index: Int, label: String, classCount: Int?)
    /// A gzip (or zlib) stream could not be inflated.
    case corruptGzip(path: String, reason: String)
    /// A malformed file (header, dtype, dimensions) that none of the other cases describes.
    case malformed(path: String, problem: String)
    /// Arrays whose shapes do not fit together (e.g. `.npy` images vs labels, train vs test).
    case inconsistentShapes(path: String, problem: String)
    /// An argument outside its documented range (split fraction, batch size, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .missingFile(let path, let expected):
            return "\(path): file not found" + (expected.isEmpty ? "" : " (\(expected))")
        case .unrecognizedLayout(let directory, let found, let expected):
            let listing =
                found.isEmpty
                ? "it is empty"
                : "it holds " + found.prefix(8).joined(separator: ", ") + (found.count > 8 ? ", …" : "")
            return "\(directory): no data set recognised (\(listing)); expected \(expected)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read file (\(reason))"
        case .truncated(let path, let expectedBytes, let actualBytes, let what):
            return "\(path): truncated file: \(what) needs \(expectedBytes) bytes, found \(actualBytes)"
        case .trailingBytes(let path, let extraBytes):
            return "\(path): \(extraBytes) unexpected bytes after the data the header describes"
        case .badMagic(let path, let found, let expected, let kind):
            return "\(path): wrong magic number \(hex(found)), expected \(hex(expected)) (\(kind))"
        case .countMismatch(let imagesPath, let imageCount, let labelsPath, let labelCount):
            return "\(labelsPath): \(labelCount) labels but \(imagesPath) has \(imageCount) images"
        case .labelOutOfRange(let path, let index, let label, let classCount):
            let range = classCount.map { "in 0..<\($0)" } ?? "(a non-negative integer)"
            return "\(path): label \(label) of sample \(index) is not a class id \(range)"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip stream (\(reason))"
        case .malformed(let path, let problem):
            return "\(path): \(problem)"
        case .inconsistentShapes(let path, let problem):
            return "\(path): inconsistent shapes: \(problem)"
        case .invalidArgument(let message):
            return message
        }
    }
}

/// `0x00000803`-style hexadecimal with 8 digits.
private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
