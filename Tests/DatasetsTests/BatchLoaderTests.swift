import Datasets
import Foundation
import Testing
import _TestSupport

/// The loader prefetches on threads: a hang fails after 5 minutes.
@Suite(.timeLimit(.minutes(5))) struct BatchLoaderTests {
    /// 103 samples of 2×4×4 whose first value is their index (to trace samples through batches).
    private func tracedDataset(count: Int = 103) throws -> Dataset {
        var images = try Fixtures.dataset(count: count, sampleShape: [2, 4, 4], classCount: 7).images
        for i in 0..<count { images[i * 32] = Float(i) }
        return try Dataset(
            name: "traced", images: images, labels: (0..<count).map { ($0 * 5) % 7 },
            sampleShape: [2, 4, 4], classCount: 7)
    }

    private func loader(
        _ dataset: Dataset, prefetch: Int, batchSize: Int = 10, dropLast: Bool = false,
        augmented: Bool = true
    ) throws -> BatchLoader {
        try BatchLoader(
            dataset: dataset, batchSize: batchSize, shuffle: true, dropLast: dropLast,
            augmentation: augmented ? Augmentation(cropPadding: 1) : .disabled,
            normalization: ChannelNormalization(statisticsOf: dataset), seed: 2024, prefetchDepth: prefetch)
    }

    @Test(arguments: [1, 2, 4])
    func prefetchingYieldsTheSynchronousBatches(depth: Int) throws {
        let dataset = try tracedDataset()
        let synchronous = try loader(dataset, prefetch: 0), prefetching = try loader(dataset, prefetch: depth)
        for epoch in 0..<3 {
            let expected = Array(synchronous.batches(epoch: epoch))
            let actual = Array(prefetching.batches(epoch: epoch))
            #expect(actual == expected)
            #expect(actual.map(\.index) == Array(0..<11))
            #expect(actual == (0..<11).map { synchronous.batch($0, epoch: epoch) })
        }
    }

    /// A consumer slower than the producer (the queue fills) and one that is faster.
    @Test func resultsDoNotDependOnTiming() throws {
        let dataset = try tracedDataset()
        let reference = Array(try loader(dataset, prefetch: 0).batches(epoch: 1))
        var slow: [Batch] = []
        for batch in try loader(dataset, prefetch: 2).batches(epoch: 1) {
            if batch.index % 3 == 0 { Thread.sleep(forTimeInterval: 0.005) }
            slow.append(batch)
        }
        #expect(slow == reference)
    }

    @Test func everySampleAppearsOncePerEpoch() throws {
        let dataset = try tracedDataset()
        let loader = try loader(dataset, prefetch: 2)
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            let batches = Array(loader.batches(epoch: epoch))
            #expect(batches.map(\.count) == Array(repeating: 10, count: 10) + [3], "last partial batch kept")
            let indices = batches.flatMap(\.sampleIndices)
            #expect(indices.sorted() == Array(0..<103))
            orders.append(indices)
            for batch in batches {
                #expect(batch.shape == [batch.count, 2, 4, 4])
                #expect(batch.images.count == batch.count * 32)
                #expect(batch.labels == batch.sampleIndices.map { Float(dataset.labels[$0]) })
            }
        }
        #expect(orders[0] != orders[1] && orders[1] != orders[2], "a fresh order each epoch")
    }

    @Test func dropsTheLastPartialBatchOnRequest() throws {
        let loader = try loader(try tracedDataset(), prefetch: 2, dropLast: true)
        let batches = Array(loader.batches(epoch: 0))
        #expect(loader.batchesPerEpoch == 10)
        #expect(batches.count == 10 && batches.allSatisfy { $0.count == 10 })
        #expect(Set(batches.flatMap(\.sampleIndices)).count == 100)
    }

    /// Without augmentation, a batch holds the normalized samples it names.
    @Test func batchesHoldTheNamedSamples() throws {
        let dataset = try tracedDataset()
        let loader = try loader(dataset, prefetch: 3, augmented: false)
        let normalized = try ChannelNormalization(statisticsOf: dataset).apply(to: dataset)
        for batch in loader.batches(epoch: 4) {
            let expected = batch.sampleIndices.flatMap { Array(normalized.image(at: $0)) }
            assertClose(batch.images, expected, atol: 1e-6)
        }
    }

    /// Augmented batches hold each sample transformed by its (seed, epoch, sample) transform.
    @Test func batchesApplyThePerSampleAugmentation() throws {
        let dataset = try tracedDataset()
        let augmentation = Augmentation(cropPadding: 1)
        let loader = try BatchLoader(dataset: dataset, batchSize: 16, augmentation: augmentation, seed: 5, prefetchDepth: 2)
        var transformed = 0
        for batch in loader.batches(epoch: 2) {
            for (position, sample) in batch.sampleIndices.enumerated() {
                let transform = augmentation.transform(seed: 5, epoch: 2, sampleIndex: sample, height: 4, width: 4)
                if !transform.isIdentity { transformed += 1 }
                let expected = Augmentation.apply(transform, to: Array(dataset.image(at: sample)), sampleShape: [2, 4, 4])
                #expect(Array(batch.images[position * 32..<(position + 1) * 32]) == expected)
            }
        }
        #expect(transformed > 80)
    }

    /// With cutout the square is exactly 0 after normalization (the channel mean in pixel space, as
    /// DARTS' Cutout after Normalize); every other value is the normalized crop/flip.
    @Test func cutoutIsAppliedAfterNormalization() throws {
        let dataset = try tracedDataset()
        let normalization = try ChannelNormalization(statisticsOf: dataset)
        let augmentation = Augmentation(cropPadding: 1, cutout: 2)
        let loader = try BatchLoader(
            dataset: dataset, batchSize: 16, augmentation: augmentation, normalization: normalization, seed: 5, prefetchDepth: 0)
        var cut = 0
        for batch in loader.batches(epoch: 1) {
            for (position, sample) in batch.sampleIndices.enumerated() {
                let transform = augmentation.transform(seed: 5, epoch: 1, sampleIndex: sample, height: 4, width: 4)
                let square = try #require(transform.cutout)
                var expected = Augmentation.apply(transform, to: Array(dataset.image(at: sample)), sampleShape: [2, 4, 4])
                expected.withUnsafeMutableBufferPointer { normalization.apply(to: $0, plane: 16) }
                expected.withUnsafeMutableBufferPointer { square.apply(to: $0, channels: 2, height: 4, width: 4) }
                let actual = Array(batch.images[position * 32..<(position + 1) * 32])
                #expect(actual == expected)
                cut += (square.bottom - square.top) * (square.right - square.left)
                for y in square.top..<square.bottom {
                    for x in square.left..<square.right { #expect(actual[y * 4 + x] == 0 && actual[16 + y * 4 + x] == 0) }
                }
            }
        }
        #expect(cut > 103)
    }

    /// Training can resume at any epoch and batch: a new loader with the same seed continues
    /// exactly where an interrupted one stopped.
    @Test func resumesMidTraining() throws {
        let dataset = try tracedDataset()
        let full = Array(try loader(dataset, prefetch: 2).batches(epoch: 5))
        let resumed = Array(try loader(dataset, prefetch: 2).batches(epoch: 5, startingAt: 4))
        #expect(resumed == Array(full.dropFirst(4)))
        #expect(Array(try loader(dataset, prefetch: 0).batches(epoch: 5, startingAt: 4)) == resumed)
        #expect(Array(try loader(dataset, prefetch: 2).batches(epoch: 5, startingAt: 11)).isEmpty)
    }

    /// Abandoning an epoch part-way stops the producer instead of blocking it forever.
    @Test func abandoningAnEpochStopsTheProducer() throws {
        let loader = try loader(try tracedDataset(count: 2000), prefetch: 1, batchSize: 5)
        for _ in 0..<20 {
            let iterator = loader.batches(epoch: 0).makeIterator()
            #expect(iterator.next()?.index == 0)
        }
        #expect(Array(loader.batches(epoch: 0).prefix(3)).map(\.index) == [0, 1, 2])
    }

    @Test func unshuffledEpochsKeepDatasetOrder() throws {
        let dataset = try tracedDataset(count: 25)
        let loader = try BatchLoader(dataset: dataset, batchSize: 8, shuffle: false, prefetchDepth: 2)
        let batches = Array(loader.batches(epoch: 7))
        #expect(batches.flatMap(\.sampleIndices) == Array(0..<25))
        #expect(batches.flatMap(\.images) == dataset.images)
    }

    @Test func rejectsInvalidSettings() throws {
        let dataset = try tracedDataset(count: 4)
        #expect(datasetError { try BatchLoader(dataset: dataset, batchSize: 0) }?.description == "batch size 0 must be positive")
        #expect(throws: DatasetError.self) { try BatchLoader(dataset: dataset, batchSize: 2, prefetchDepth: -1) }
        let rgb = try ChannelNormalization(mean: [0, 0, 0], std: [1, 1, 1])
        #expect(
            datasetError { try BatchLoader(dataset: dataset, batchSize: 2, normalization: rgb) }?.description
                == "traced: 2 channels, but the normalization has 3")
    }
}
