import Datasets
import Foundation
import Testing

@Suite struct CIFARReaderTests {
    /// Two training batches (2 and 1 records) and a test batch (2 records).
    struct CIFARSet {
        let batches: [(name: String, labels: [UInt8], pixels: [UInt8])] = [
            ("data_batch_1.bin", [6, 9], Fixtures.randomBytes(2 * 3072, seed: 21)),
            ("data_batch_2.bin", [0], Fixtures.randomBytes(3072, seed: 22)),
            ("test_batch.bin", [3, 8], Fixtures.randomBytes(2 * 3072, seed: 23)),
        ]

        func write(to directory: URL, skipping skipped: String? = nil) throws {
            for batch in batches where batch.name != skipped {
                try Fixtures.write(Fixtures.cifarRecords(labels: batch.labels, pixels: batch.pixels), to: directory, batch.name)
            }
        }
    }

    @Test func readsBatchesExactlyInOrder() throws {
        let fixture = CIFARSet()
        try withTemporaryDirectory { directory in
            try fixture.write(to: directory)
            #expect(detectDatasetFormat(in: directory) == .cifar10)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.count == 3)
            #expect(splits.train.sampleShape == [3, 32, 32])
            #expect(splits.train.classCount == 10)
            #expect(splits.train.labels == [6, 9, 0])
            #expect(splits.train.images == unitScaled(fixture.batches[0].pixels + fixture.batches[1].pixels))
            #expect(splits.test.labels == [3, 8])
            #expect(splits.test.images == unitScaled(fixture.batches[2].pixels))
            #expect(splits.train.classNames == CIFARReader.classNames)
            #expect(splits.train.name == "cifar-10 (train)")
        }
    }

    /// Records are label then R, G, B planes: CHW, so pixel (c, y, x) is byte 1 + c·1024 + y·32 + x.
    @Test func keepsTheChannelMajorLayout() throws {
        try withTemporaryDirectory { directory in
            var pixels = [UInt8](repeating: 0, count: 3072)
            pixels[0 * 1024 + 0 * 32 + 1] = 255  // red, row 0, column 1
            pixels[2 * 1024 + 31 * 32 + 31] = 51  // blue, bottom-right
            try Fixtures.write(Fixtures.cifarRecords(labels: [4], pixels: pixels), to: directory, "one.bin")
            let batch = try CIFARReader.readBatch(at: directory.appendingPathComponent("one.bin"))
            #expect(batch.labels == [4])
            #expect(batch.pixels[1] == 1)
            #expect(batch.pixels[2 * 1024 + 31 * 32 + 31] == 0.2)
            #expect(batch.pixels.reduce(0, +) == 1.2)
        }
    }

    @Test func readsTheArchiveFolderAndMetaNames() throws {
        try withTemporaryDirectory { directory in
            let folder = directory.appendingPathComponent("cifar-10-batches-bin")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try CIFARSet().write(to: folder)
            let names = (0..<10).map { "class\($0)" }
            try (names.joined(separator: "\n") + "\n\n").write(
                to: folder.appendingPathComponent("batches.meta.txt"),
                atomically: true, encoding: .utf8)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.count == 3)
            #expect(splits.test.classNames == names)
        }
    }

    @Test func reportsTruncatedRecords() throws {
        try withTemporaryDirectory { directory in
            try CIFARSet().write(to: directory)
            let bytes = Fixtures.cifarRecords(labels: [1, 2], pixels: Fixtures.randomBytes(2 * 3072, seed: 3))
            try Fixtures.write(Array(bytes.dropLast(100)), to: directory, "data_batch_2.bin")
            let error = datasetError { try loadDataset(at: directory) }
            #expect(
                error?.description == "\(directory.path)/data_batch_2.bin: truncated file: record 2 "
                    + "(3073-byte records: 1 label + 3×32×32 pixels) needs 6146 bytes, found 6046")
        }
    }

    @Test func reportsLabelsOutOfRange() throws {
        try withTemporaryDirectory { directory in
            try CIFARSet().write(to: directory)
            try Fixtures.write(
                Fixtures.cifarRecords(labels: [2, 11], pixels: Fixtures.randomBytes(2 * 3072, seed: 3)),
                to: directory, "test_batch.bin")
            let error = datasetError { try loadDataset(at: directory) }
            #expect(error?.description == "\(directory.path)/test_batch.bin: label 11 of sample 1 is not a class id in 0..<10")
        }
    }

    @Test func reportsMissingBatches() throws {
        try withTemporaryDirectory { directory in
            try CIFARSet().write(to: directory, skipping: "data_batch_1.bin")
            let error = datasetError { try loadDataset(at: directory) }
            #expect(
                error?.description == "\(directory.path)/data_batch_1.bin: file not found "
                    + "(CIFAR-10 needs data_batch_1.bin … data_batch_5.bin and test_batch.bin)")
        }
        try withTemporaryDirectory { directory in
            try CIFARSet().write(to: directory, skipping: "test_batch.bin")
            let error = datasetError { try loadDataset(at: directory) }
            #expect(
                error
                    == .missingFile(
                        path: directory.path + "/test_batch.bin",
                        expected: "CIFAR-10 needs data_batch_1.bin … data_batch_5.bin and test_batch.bin"))
        }
    }
}
