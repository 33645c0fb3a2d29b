import Datasets
import Foundation
import TensorCore
import Testing

@Suite struct NPYFolderReaderTests {
    /// Writes the four arrays (any of them replaceable) into `directory`.
    private func write(
        to directory: URL, trainX: ([Int], [Float])? = nil, trainY: ([Int], [Float])? = nil,
        testX: ([Int], [Float])? = nil, testY: ([Int], [Float])? = nil, skipping: String? = nil
    ) throws {
        var random = SeededRandom(seed: 31)
        let arrays: [(String, ([Int], [Float]))] = [
            ("train_x.npy", trainX ?? ([4, 2, 3, 3], random.uniform(72, in: 0...1))),
            ("train_y.npy", trainY ?? ([4], [0, 2, 1, 2])),
            ("test_x.npy", testX ?? ([2, 2, 3, 3], random.uniform(36, in: 0...1))),
            ("test_y.npy", testY ?? ([2], [1, 0])),
        ]
        for (name, (shape, values)) in arrays where name != skipping {
            try NPYFile.write(shape: shape, values: values, to: directory.appendingPathComponent(name))
        }
    }

    @Test func readsNCHWArraysExactly() throws {
        var random = SeededRandom(seed: 32)
        let trainX = random.uniform(4 * 18, in: -2...2), testX = random.uniform(2 * 18, in: -2...2)
        try withTemporaryDirectory { directory in
            try write(to: directory, trainX: ([4, 2, 3, 3], trainX), testX: ([2, 2, 3, 3], testX))
            #expect(detectDatasetFormat(in: directory) == .npyFolder)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.sampleShape == [2, 3, 3])
            #expect(splits.train.images.map(\.bitPattern) == trainX.map(\.bitPattern))
            #expect(splits.test.images.map(\.bitPattern) == testX.map(\.bitPattern))
            #expect(splits.train.labels == [0, 2, 1, 2])
            #expect(splits.test.labels == [1, 0])
            #expect(splits.train.classCount == 3, "one more than the largest label")
            #expect(splits.train.classNames.isEmpty)
        }
    }

    @Test func readsSingleChannelArraysAndClassNames() throws {
        try withTemporaryDirectory { directory in
            try write(
                to: directory, trainX: ([4, 3, 2], Array(repeating: 0.5, count: 24)),
                testX: ([2, 3, 2], Array(repeating: 0.25, count: 12)))
            try "cat\ndog\nbird\nfish\n".write(to: directory.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.sampleShape == [1, 3, 2])
            #expect(splits.test.imagesShape == [2, 1, 3, 2])
            #expect(splits.train.classCount == 4)
            #expect(splits.test.classNames == ["cat", "dog", "bird", "fish"])
        }
    }

    // MARK: - Errors

    private func message(_ configure: (URL) throws -> Void) throws -> (String?, String) {
        try withTemporaryDirectory { directory in
            try configure(directory)
            return (datasetError { try loadDataset(at: directory) }?.description, directory.path)
        }
    }

    @Test func reportsMissingArrays() throws {
        let (text, path) = try message { try write(to: $0, skipping: "test_y.npy") }
        #expect(
            text == "\(path)/test_y.npy: file not found (.npy data sets need train_x.npy ([N, C, H, W] or [N, H, W]), "
                + "train_y.npy ([N] class ids), test_x.npy, test_y.npy)")
    }

    @Test func reportsInconsistentShapes() throws {
        let (rank, path1) = try message { try write(to: $0, trainX: ([4, 18], Array(repeating: 0, count: 72))) }
        #expect(rank == "\(path1)/train_x.npy: inconsistent shapes: images have shape [4, 18]; expected [N, C, H, W] or [N, H, W]")
        let (labels, path2) = try message { try write(to: $0, testY: ([2, 1], [1, 0])) }
        #expect(labels == "\(path2)/test_y.npy: inconsistent shapes: labels have shape [2, 1]; expected [N]")
        let (samples, path3) = try message { try write(to: $0, testX: ([2, 2, 3, 4], Array(repeating: 0, count: 48))) }
        #expect(samples == "\(path3)/test_x.npy: inconsistent shapes: test samples are [2, 3, 4] but training samples are [2, 3, 3]")
        let (empty, path4) = try message { try write(to: $0, trainX: ([4, 0, 3, 3], [])) }
        #expect(empty == "\(path4)/train_x.npy: inconsistent shapes: sample shape [0, 3, 3] has an empty dimension")
    }

    @Test func reportsLabelCountsThatDoNotMatchImageCounts() throws {
        let (text, path) = try message { try write(to: $0, trainY: ([3], [0, 1, 2])) }
        #expect(text == "\(path)/train_y.npy: 3 labels but \(path)/train_x.npy has 4 images")
    }

    @Test func reportsLabelsThatAreNotClassIDs() throws {
        let (fraction, path1) = try message { try write(to: $0, trainY: ([4], [0, 1.5, 1, 2])) }
        #expect(fraction == "\(path1)/train_y.npy: label 1.5 of sample 1 is not a class id (a non-negative integer)")
        let (negative, path2) = try message { try write(to: $0, testY: ([2], [1, -1])) }
        #expect(negative == "\(path2)/test_y.npy: label -1.0 of sample 1 is not a class id (a non-negative integer)")
        let (tooLarge, path3) = try message {
            try write(to: $0)
            try "a\nb\n".write(to: $0.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
        }
        #expect(tooLarge == "\(path3)/train_y.npy: label 2 of sample 1 is not a class id in 0..<2")
    }

    @Test func reportsMalformedArrays() throws {
        let (text, path) = try message {
            try write(to: $0)
            try Data("not numpy at all".utf8).write(to: $0.appendingPathComponent("test_x.npy"))
        }
        #expect(text == "\(path)/test_x.npy: not a .npy file (bad magic)")
    }
}
