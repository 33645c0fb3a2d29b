import Foundation
import TensorCore

/// One mini-batch: `images` is `[B, C, H, W]` row-major, `labels` the `B` class ids as Float
/// (the representation `Backend` losses take).
public struct Batch: Sendable, Equatable {
    public var images: [Float]
    public var labels: [Float]
    /// `[B, C, H, W]`.
    public var shape: [Int]
    /// The data set index of each sample, in batch order.
    public var sampleIndices: [Int]
    /// The epoch and the position of this batch within it.
    public var epoch: Int, index: Int

    /// Number of samples, B.
    public var count: Int { labels.count }

    public init(images: [Float], labels: [Float], shape: [Int], sampleIndices: [Int], epoch: Int, index: Int) {
        self.images = images; self.labels = labels; self.shape = shape
        self.sampleIndices = sampleIndices; self.epoch = epoch; self.index = index
    }
}

/// Cuts a data set into mini-batches, one epoch at a time, optionally shuffled, augmented and
/// normalized, assembling upcoming batches on a background thread.
///
/// Everything about a batch is a function of (seed, epoch, batch index): the sample order of
/// epoch e is a seeded permutation of (seed, e), each sample's augmentation a function of
/// (seed, e, sample index). So prefetching never changes results, `batch(_:epoch:)` computes any
/// batch directly, and training can resume at any epoch (and any batch, via `startingAt`).
public final class BatchLoader: Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    /// Whether each epoch visits the samples in a fresh seeded order (else in data set order).
    public let shuffle: Bool
    /// Whether an incomplete last batch is left out (else it is yielded, smaller).
    public let dropLast: Bool
    public let augmentation: Augmentation
    /// Applied after the crop and flip (so crop padding is zero in pixel space) and before the
    /// cutout (so the cut square is zero in normalized space).
    public let normalization: ChannelNormalization?
    public let seed: UInt64
    /// Batches assembled ahead of the consumer; 0 assembles each batch on the caller's thread.
    public let prefetchDepth: Int

    public init(
        dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
        augmentation: Augmentation = .disabled, normalization: ChannelNormalization? = nil,
        seed: UInt64 = 0, prefetchDepth: Int = 3
    ) throws {
        guard batchSize > 0 else { throw DatasetError.invalidArgument("batch size \(batchSize) must be positive") }
        guard prefetchDepth >= 0 else { throw DatasetError.invalidArgument("prefetch depth \(prefetchDepth) must not be negative") }
        if let normalization, normalization.channels != dataset.channels {
            throw DatasetError.invalidArgument(
                "\(dataset.name): \(dataset.channels) channels, but the normalization has \(normalization.channels)")
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.augmentation = augmentation
        self.normalization = normalization
        self.seed = seed
        self.prefetchDepth = prefetchDepth
    }

    /// Number of batches in every epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The order in which epoch `epoch` visits the samples.
    public func sampleOrder(epoch: Int) -> [Int] {
        shuffle ? seededPermutation(count: dataset.count, seed: derivedSeed(seed, epoch: epoch, stream: 1)) : Array(0..<dataset.count)
    }

    /// Batch `index` (in `0..<batchesPerEpoch`) of epoch `epoch`, assembled on the calling thread.
    public func batch(_ index: Int, epoch: Int) -> Batch {
        batch(index, epoch: epoch, order: sampleOrder(epoch: epoch))
    }

    /// The batches of epoch `epoch` from batch `firstBatch` on, prefetched in the background
    /// when `prefetchDepth > 0`.
    public func batches(epoch: Int, startingAt firstBatch: Int = 0) -> EpochBatches {
        EpochBatches(loader: self, epoch: epoch, firstBatch: max(0, firstBatch))
    }

    /// Batch `index` given the epoch's sample order.
    func batch(_ index: Int, epoch: Int, order: [Int]) -> Batch {
        precondition(index >= 0 && index < batchesPerEpoch, "batch \(index) is outside 0..<\(batchesPerEpoch)")
        let indices = Array(order[index * batchSize..<min((index + 1) * batchSize, order.count)])
        let size = dataset.sampleSize, shape = dataset.sampleShape
        let transforms = indices.map {
            augmentation.transform(seed: seed, epoch: epoch, sampleIndex: $0, height: shape[1], width: shape[2])
        }
        let images = [Float](unsafeUninitializedCapacity: indices.count * size) { output, initialized in
            dataset.images.withUnsafeBufferPointer { all in
                for (position, sample) in indices.enumerated() {
                    let source = UnsafeBufferPointer(rebasing: all[sample * size..<(sample + 1) * size])
                    let destination = UnsafeMutableBufferPointer(rebasing: output[position * size..<(position + 1) * size])
                    if transforms[position].movesNoPixel {
                        _ = destination.initialize(from: source)
                    } else {
                        Augmentation.apply(
                            transforms[position], source: source, destination: destination,
                            channels: shape[0], height: shape[1], width: shape[2])
                    }
                }
            }
            initialized = indices.count * size
            normalization?.apply(to: UnsafeMutableBufferPointer(rebasing: output[0..<initialized]), plane: shape[1] * shape[2])
            // Cutout after normalization: the square holds 0 in normalized space, as DARTS' Cutout.
            for (position, transform) in transforms.enumerated() {
                transform.cutout?.apply(
                    to: UnsafeMutableBufferPointer(rebasing: output[position * size..<(position + 1) * size]),
                    channels: shape[0], height: shape[1], width: shape[2])
            }
        }
        return Batch(
            images: images, labels: indices.map { Float(dataset.labels[$0]) }, shape: [indices.count] + shape,
            sampleIndices: indices, epoch: epoch, index: index)
    }
}

/// The batches of one epoch, as a sequence. Each iteration starts its own producer.
public struct EpochBatches: Sequence, Sendable {
    public let loader: BatchLoader
    public let epoch: Int
    public let firstBatch: Int

    public var underestimatedCount: Int { Swift.max(0, loader.batchesPerEpoch - firstBatch) }

    public func makeIterator() -> BatchIterator {
        BatchIterator(loader: loader, epoch: epoch, firstBatch: firstBatch)
    }
}

/// Yields the batches of an epoch in order. With prefetching, a background thread assembles up
/// to `prefetchDepth` batches ahead; dropping the iterator early stops that thread.
public final class BatchIterator: IteratorProtocol {
    private let loader: BatchLoader
    private let epoch: Int
    private var nextIndex: Int
    private var order: [Int]?
    private let queue: PrefetchQueue?

    init(loader: BatchLoader, epoch: Int, firstBatch: Int) {
        self.loader = loader
        self.epoch = epoch
        nextIndex = firstBatch
        guard loader.prefetchDepth > 0, firstBatch < loader.batchesPerEpoch else {
            queue = nil
            return
        }
        let queue = PrefetchQueue(capacity: loader.prefetchDepth)
        self.queue = queue
        let thread = Thread {
            let order = loader.sampleOrder(epoch: epoch)
            for index in firstBatch..<loader.batchesPerEpoch {
                guard queue.put(loader.batch(index, epoch: epoch, order: order)) else { break }
            }
            queue.finish()
        }
        thread.name = "Datasets.BatchLoader prefetch"
        thread.start()
    }

    deinit { queue?.cancel() }

    public func next() -> Batch? {
        if let queue { return queue.take() }
        guard nextIndex < loader.batchesPerEpoch else { return nil }
        if order == nil { order = loader.sampleOrder(epoch: epoch) }
        defer { nextIndex += 1 }
        return loader.batch(nextIndex, epoch: epoch, order: order ?? [])
    }
}

/// A bounded first-in first-out hand-over of batches from one producer thread to one consumer.
final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Batch] = []  // a few at most: removeFirst is cheap
    private var finished = false
    private var cancelled = false

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds `batch`, waiting while the queue is full; false once the consumer has gone.
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch, waiting for the producer; nil once it has finished and all were taken.
    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        guard !items.isEmpty else { return nil }
        let batch = items.removeFirst()
        condition.broadcast()
        return batch
    }

    /// Marks the end of production.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the producer at its next `put`.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
