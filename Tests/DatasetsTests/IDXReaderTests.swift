import Datasets
import Foundation
import Testing

@Suite struct IDXReaderTests {
    @Test(arguments: [false, true])
    func readsRawAndGzippedFilesExactly(gzipped: Bool) throws {
        let fixture = Fixtures.IDXSet()
        try withTemporaryDirectory { directory in
            try fixture.write(to: directory, gzipped: gzipped)
            #expect(detectDatasetFormat(in: directory) == .idx)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.count == 3)
            #expect(splits.train.sampleShape == [1, 4, 5])
            #expect(splits.train.imagesShape == [3, 1, 4, 5])
            #expect(splits.train.classCount == 10)
            #expect(splits.train.images == unitScaled(fixture.trainPixels))
            #expect(splits.train.labels == [9, 0, 4])
            #expect(splits.test.images == unitScaled(fixture.testPixels))
            #expect(splits.test.labels == [3, 7])
            #expect(splits.test.sampleShape == [1, 4, 5])
            #expect(splits.train.name == directory.lastPathComponent + " (train)")
            #expect(splits.train.classNames == (0..<10).map(String.init))
        }
    }

    @Test func scalesEveryByteValueToTheUnitInterval() throws {
        try withTemporaryDirectory { directory in
            let pixels = (0...255).map(UInt8.init)
            try Fixtures.write(Fixtures.idxImages(count: 4, rows: 8, cols: 8, pixels: pixels), to: directory, "images")
            let images = try IDXReader.readImages(at: directory.appendingPathComponent("images"))
            #expect(images.pixels.first == 0 && images.pixels.last == 1)
            #expect(images.pixels == pixels.map { Float($0) / 255 })
            #expect((images.count, images.height, images.width) == (4, 8, 8))
        }
    }

    @Test func acceptsTheDottedFileNamesAndMixedCompression() throws {
        let fixture = Fixtures.IDXSet()
        try withTemporaryDirectory { directory in
            for (name, bytes) in fixture.files {
                let dotted = name.replacingOccurrences(of: "-idx", with: ".idx")
                try Fixtures.write(
                    name.hasPrefix("train") ? Fixtures.gzip(bytes) : bytes, to: directory,
                    name.hasPrefix("train") ? dotted + ".gz" : dotted)
            }
            let splits = try IDXReader.load(directory: directory)
            #expect(splits.train.images == unitScaled(fixture.trainPixels))
            #expect(splits.test.labels == [3, 7])
        }
    }

    @Test func namesFashionMNISTClasses() throws {
        try withTemporaryDirectory { parent in
            let directory = parent.appendingPathComponent("fashion-mnist")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Fixtures.IDXSet().write(to: directory, gzipped: true)
            let splits = try loadDataset(at: directory)
            #expect(splits.train.classNames[9] == "Ankle boot")
            #expect(splits.test.name == "fashion-mnist (test)")
        }
    }

    // MARK: - Errors

    /// Loads a fixture with one file replaced and returns the error message.
    private func message(replacing name: String, with bytes: [UInt8], gzipped: Bool = false) throws -> (String?, URL) {
        try withTemporaryDirectory { directory in
            try Fixtures.IDXSet().write(to: directory, gzipped: gzipped, overriding: [name: bytes])
            return (datasetError { try loadDataset(at: directory) }?.description, directory)
        }
    }

    @Test func reportsMissingFiles() throws {
        try withTemporaryDirectory { directory in
            for (name, bytes) in Fixtures.IDXSet().files where name.hasPrefix("train") {
                try Fixtures.write(bytes, to: directory, name)
            }
            let error = datasetError { try loadDataset(at: directory) }
            #expect(
                error?.description == "\(directory.path)/t10k-images-idx3-ubyte: file not found (IDX data sets need "
                    + "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])"
            )
        }
    }

    @Test(arguments: [false, true])
    func reportsTruncatedImages(gzipped: Bool) throws {
        let pixels = Fixtures.randomBytes(3 * 20 - 1, seed: 1)
        let (text, directory) = try message(
            replacing: "train-images-idx3-ubyte",
            with: Fixtures.idxImages(count: 3, rows: 4, cols: 5, pixels: pixels), gzipped: gzipped)
        let file = directory.path + "/train-images-idx3-ubyte" + (gzipped ? ".gz" : "")
        #expect(text == "\(file): truncated file: 3 images of 4×5 after the 16-byte header needs 76 bytes, found 75")
    }

    @Test func reportsTruncatedHeadersAndLabels() throws {
        let (header, directory) = try message(replacing: "t10k-images-idx3-ubyte", with: [0, 0, 8, 3, 0, 0, 0, 2])
        #expect(
            header
                == "\(directory.path)/t10k-images-idx3-ubyte: truncated file: the IDX header of 3 dimension sizes needs 16 bytes, found 8")
        let (tiny, directory2) = try message(replacing: "t10k-labels-idx1-ubyte", with: [0, 0])
        #expect(tiny == "\(directory2.path)/t10k-labels-idx1-ubyte: truncated file: the IDX magic number needs 4 bytes, found 2")
        let (labels, directory3) = try message(
            replacing: "train-labels-idx1-ubyte",
            with: Fixtures.bigEndian(0x801) + Fixtures.bigEndian(3) + [1, 2])
        #expect(
            labels
                == "\(directory3.path)/train-labels-idx1-ubyte: truncated file: 3 labels after the 8-byte header needs 11 bytes, found 10")
    }

    @Test func reportsEmptyOrMismatchedImageSizes() throws {
        let (empty, directory) = try message(
            replacing: "train-images-idx3-ubyte", with: Fixtures.idxImages(count: 3, rows: 0, cols: 5, pixels: []))
        #expect(empty == "\(directory.path)/train-images-idx3-ubyte: IDX images of 0×5 pixels are empty")
        let (sizes, directory2) = try message(
            replacing: "t10k-images-idx3-ubyte",
            with: Fixtures.idxImages(count: 2, rows: 5, cols: 4, pixels: Fixtures.randomBytes(40, seed: 1)))
        #expect(sizes == "\(directory2.path)/t10k-images-idx3-ubyte: inconsistent shapes: test images are 5×4 but training images are 4×5")
    }

    @Test func reportsTrailingBytes() throws {
        let (text, directory) = try message(replacing: "t10k-labels-idx1-ubyte", with: Fixtures.idxLabels([3, 7]) + [0, 0])
        #expect(text == "\(directory.path)/t10k-labels-idx1-ubyte: 2 unexpected bytes after the data the header describes")
    }

    @Test func reportsWrongMagicNumbers() throws {
        let (images, directory) = try message(replacing: "train-images-idx3-ubyte", with: Fixtures.idxLabels([1, 2, 3]))
        #expect(
            images == "\(directory.path)/train-images-idx3-ubyte: wrong magic number 0x00000801, "
                + "expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions)")
        let (labels, directory2) = try message(replacing: "t10k-labels-idx1-ubyte", with: Fixtures.idxLabels([3, 7], magic: 0x0000_0D01))
        #expect(
            labels == "\(directory2.path)/t10k-labels-idx1-ubyte: wrong magic number 0x00000d01, "
                + "expected 0x00000801 (IDX labels: unsigned bytes, 1 dimension)")
    }

    @Test func reportsLabelCountsThatDoNotMatchImageCounts() throws {
        let (text, directory) = try message(replacing: "train-labels-idx1-ubyte", with: Fixtures.idxLabels([1, 2]))
        #expect(text == "\(directory.path)/train-labels-idx1-ubyte: 2 labels but \(directory.path)/train-images-idx3-ubyte has 3 images")
    }

    @Test func reportsLabelsOutOfRange() throws {
        let (text, directory) = try message(replacing: "t10k-labels-idx1-ubyte", with: Fixtures.idxLabels([3, 10]))
        #expect(text == "\(directory.path)/t10k-labels-idx1-ubyte: label 10 of sample 1 is not a class id in 0..<10")
    }

    @Test func reportsCorruptGzipFiles() throws {
        try withTemporaryDirectory { directory in
            try Fixtures.IDXSet().write(to: directory, gzipped: true)
            let file = directory.appendingPathComponent("train-labels-idx1-ubyte.gz")
            let compressed = try [UInt8](Data(contentsOf: file))
            try Fixtures.write(Array(compressed.dropLast(9)), to: directory, "train-labels-idx1-ubyte.gz")
            let error = datasetError { try loadDataset(at: directory) }
            #expect(error == .corruptGzip(path: file.path, reason: "unexpected end of compressed data; file truncated?"))
        }
    }
}
