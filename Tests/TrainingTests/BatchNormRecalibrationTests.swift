import Datasets
import NN
import ReferenceBackend
import TensorCore
import Testing
import Training

/// Batch-norm re-estimation: the stem's running statistics become the average over the batches of
/// each batch's mean and unbiased variance of the stem convolution's output — computed here from
/// the convolution alone, not through the network — and nothing else changes.
@Suite struct BatchNormRecalibrationTests {
    /// `count` seeded random images of `side` × `side`, one channel, labels cycling through `classes`.
    func images(_ count: Int, side: Int, classes: Int) throws -> Dataset {
        var random = SeededRandom(seed: 21)
        let values = (0..<count * side * side).map { _ in random.nextUnit() * 2 - 0.5 }
        return try Dataset(
            name: "random", images: values, labels: (0..<count).map { $0 % classes }, sampleShape: [1, side, side], classCount: classes)
    }

    @Test func stemStatisticsAreTheAverageOfTheBatchStatistics() throws {
        let backend = ReferenceBackend()
        let input = Architecture.Input(channels: 1, height: 7, width: 7)
        let architecture = Architecture.cifarResNet(depth: 8, baseWidth: 4, input: input, classes: 3)
        let network = try Network(architecture, backend: backend, seed: 3)
        let data = try images(31, side: 7, classes: 3)
        // 31 images in batches of 8: 8, 8, 8 and the last 7 (30 of them asked for: all four batches run).
        let loader = try BatchLoader(dataset: data, batchSize: 8, shuffle: true, seed: 11, prefetchDepth: 0)
        let weightsBefore = try network.parameters.map { try backend.download($0.value) }
        let momenta = network.batchNorms.map(\.momentum)

        let used = try BatchNormRecalibration.recalibrate(network, loader: loader, maximumImages: 30)
        #expect(used == 31)

        // Expected: the stem convolution's output per batch, its per-channel mean and unbiased variance.
        let state = Dictionary(uniqueKeysWithValues: network.namedState.map { ($0.name, $0.tensor) })
        let stemWeight = try #require(state["stem.conv.weight"])
        let channels = stemWeight.shape[0]
        var meanSum = [Double](repeating: 0, count: channels), varSum = meanSum, batches = 0
        for batch in loader.batches(epoch: 0) {
            let x = try backend.upload(batch.images, shape: batch.shape)
            let y = try backend.download(backend.conv2d(x, weight: stemWeight, bias: nil, params: Conv2dParams(stride: 1, padding: 1)))
            let plane = 7 * 7, n = batch.count * plane
            for c in 0..<channels {
                let values = (0..<batch.count).flatMap { image in (0..<plane).map { Double(y[(image * channels + c) * plane + $0]) } }
                let mean = values.reduce(0, +) / Double(n)
                meanSum[c] += mean
                varSum[c] += values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            }
            batches += 1
        }
        #expect(batches == 4)
        let runningMean = try backend.download(try #require(state["stem.bn.running_mean"]))
        let runningVar = try backend.download(try #require(state["stem.bn.running_var"]))
        for c in 0..<channels {
            let mean = meanSum[c] / 4, variance = varSum[c] / 4
            // Float32 sums of 392 values and four momentum steps: a few ulps of the magnitudes.
            #expect(abs(Double(runningMean[c]) - mean) <= 1e-5 * max(1, abs(mean)), "mean of channel \(c)")
            #expect(abs(Double(runningVar[c]) - variance) <= 1e-5 * max(1, variance), "variance of channel \(c)")
        }
        // The weights are untouched and every momentum is restored.
        #expect(try network.parameters.map { try backend.download($0.value) } == weightsBefore)
        #expect(network.batchNorms.map(\.momentum) == momenta)
        #expect(network.batchNorms.count == network.buffers.count / 2 && network.batchNorms.first?.name == "stem.bn")
    }

    /// It stops after the batch that reaches the budget, and does nothing for 0 images.
    @Test func usesAtMostTheBatchesTheBudgetNeeds() throws {
        let backend = ReferenceBackend()
        let input = Architecture.Input(channels: 1, height: 5, width: 5)
        let network = try Network(Architecture.cifarResNet(depth: 8, baseWidth: 2, input: input, classes: 2), backend: backend, seed: 1)
        let data = try images(20, side: 5, classes: 2)
        let loader = try BatchLoader(dataset: data, batchSize: 6, shuffle: false, prefetchDepth: 0)
        let before = try network.buffers.map { try backend.download($0.tensor) }
        #expect(try BatchNormRecalibration.recalibrate(network, loader: loader, maximumImages: 0) == 0)
        #expect(try network.buffers.map { try backend.download($0.tensor) } == before)
        #expect(try BatchNormRecalibration.recalibrate(network, loader: loader, maximumImages: 7) == 12)
        #expect(try network.buffers.map { try backend.download($0.tensor) } != before)
    }
}
