import Datasets
import Foundation
import Testing

/// Integration test on the real data: reads Debian's `dataset-fashion-mnist` package from
/// `/usr/share/datasets/fashion-mnist` (install it to run this suite).
@Suite(
    "Integration: installed Fashion-MNIST",
    .enabled(
        if: FileManager.default.fileExists(atPath: defaultDatasetDirectory.path),
        "Fashion-MNIST is not installed at /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)"))
struct FashionMNISTIntegrationTests {
    @Test func loadsTheFullDataset() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let splits = try loadDataset(at: defaultDatasetDirectory)
        let elapsed = clock.now - start
        print("Fashion-MNIST loaded in \(milliseconds(elapsed)) ms")
        #expect(detectDatasetFormat(in: defaultDatasetDirectory) == .idx)
        #expect(splits.train.count == 60000)
        #expect(splits.test.count == 10000)
        #expect(splits.train.sampleShape == [1, 28, 28])
        #expect(splits.test.sampleShape == [1, 28, 28])
        #expect(splits.train.classCount == 10)
        #expect(splits.train.classHistogram == Array(repeating: 6000, count: 10))
        #expect(splits.test.classHistogram == Array(repeating: 1000, count: 10))
        #expect(splits.train.images.count == 60000 * 784)
        #expect(splits.test.images.min() == 0 && splits.test.images.max() == 1)
        #expect(splits.train.classNames.first == "T-shirt/top")

        // Well-known statistics of Fashion-MNIST's training images: mean 0.2860, std 0.3530.
        let statistics = ChannelNormalization(statisticsOf: splits.train)
        #expect(abs(statistics.mean[0] - 0.2860) < 1e-3)
        #expect(abs(statistics.std[0] - 0.3530) < 1e-3)
    }

    /// The first 40 batches of an augmented, normalized epoch (a whole epoch is slow in debug builds).
    @Test func iteratesAugmentedBatches() throws {
        let splits = try loadDataset(at: defaultDatasetDirectory)
        let loader = try BatchLoader(
            dataset: splits.train, batchSize: 256, augmentation: .standard(imageSize: 28),
            normalization: ChannelNormalization(statisticsOf: splits.test), seed: 1)
        #expect(loader.batchesPerEpoch == 235)
        let clock = ContinuousClock()
        let start = clock.now
        var seen: [Int] = []
        for batch in loader.batches(epoch: 0).prefix(40) {
            #expect(batch.shape == [256, 1, 28, 28])
            seen += batch.sampleIndices
        }
        print("Fashion-MNIST: 40 augmented batches of 256 in \(milliseconds(clock.now - start)) ms")
        #expect(Set(seen).count == 40 * 256)
    }
}

private func milliseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
}
