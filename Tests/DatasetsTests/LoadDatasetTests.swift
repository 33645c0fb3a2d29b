import Datasets
import Foundation
import Testing

@Suite struct LoadDatasetTests {
    private let expectedLayouts =
        "one of: IDX files train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
        + "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (MNIST, Fashion-MNIST); "
        + "CIFAR-10 binary data_batch_1.bin … data_batch_5.bin and test_batch.bin; "
        + "or NumPy train_x.npy ([N, C, H, W] or [N, H, W]), train_y.npy ([N] class ids), test_x.npy, test_y.npy"

    @Test func defaultsToDebiansFashionMNIST() {
        #expect(defaultDatasetDirectory.path.hasPrefix("/usr/share/datasets/fashion-mnist"))
    }

    @Test func listsTheExpectedFilesForAnUnknownDirectory() throws {
        try withTemporaryDirectory { directory in
            try Fixtures.write([1, 2, 3], to: directory, "README")
            try Fixtures.write([1, 2, 3], to: directory, "images.bin")
            #expect(detectDatasetFormat(in: directory) == nil)
            let error = datasetError { try loadDataset(at: directory) }
            #expect(
                error?.description == "\(directory.path): no data set recognised (it holds README, images.bin); expected \(expectedLayouts)"
            )
        }
        try withTemporaryDirectory { directory in
            let error = datasetError { try loadDataset(at: directory) }
            #expect(error?.description == "\(directory.path): no data set recognised (it is empty); expected \(expectedLayouts)")
        }
    }

    @Test func reportsAMissingDirectoryOrAFile() throws {
        try withTemporaryDirectory { directory in
            let absent = directory.appendingPathComponent("absent")
            let error = datasetError { try loadDataset(at: absent) }
            #expect(error?.description == "\(absent.path): file not found (a data set directory holding \(expectedLayouts))")
            try Fixtures.write([0], to: directory, "plain")
            let file = directory.appendingPathComponent("plain")
            #expect(
                datasetError { try loadDataset(at: file) }?.description
                    == "\(file.path): not a directory; expected a directory holding \(expectedLayouts)")
        }
    }

    @Test func validatesDatasetsBuiltInMemory() throws {
        #expect(throws: DatasetError.self) {
            try Dataset(name: "m", images: [0, 0, 0], labels: [0], sampleShape: [1, 2, 2], classCount: 2)
        }
        let error = datasetError { try Dataset(name: "m", images: [0, 0, 0, 0], labels: [2], sampleShape: [1, 2, 2], classCount: 2) }
        #expect(error?.description == "m: label 2 of sample 0 is not a class id in 0..<2")
        let dataset = try Dataset(name: "m", images: [1, 2, 3, 4, 5, 6, 7, 8], labels: [1, 1], sampleShape: [1, 2, 2], classCount: 2)
        #expect(Array(dataset.image(at: 1)) == [5, 6, 7, 8])
        #expect(dataset.classHistogram == [0, 2])
    }
}
