import Datasets
import Testing
import _TestSupport

@Suite struct NormalizationTests {
    /// Two samples of 2 channels × 2 pixels: channel 0 holds 1, 2, 3, 4; channel 1 holds 0, 0, 0, 8.
    private func twoChannelSet() throws -> Dataset {
        try Dataset(name: "two", images: [1, 2, 0, 0, 3, 4, 0, 8], labels: [0, 1], sampleShape: [2, 1, 2], classCount: 2)
    }

    @Test func computesPerChannelStatistics() throws {
        let statistics = ChannelNormalization(statisticsOf: try twoChannelSet())
        assertClose(statistics.mean, [2.5, 2], atol: 1e-6)
        // Population std: channel 0 √1.25, channel 1 √12.
        assertClose(statistics.std, [Float(1.25).squareRoot(), Float(12).squareRoot()], atol: 1e-6)
    }

    @Test func standardisesTrainingDataAndReusesItsStatistics() throws {
        let train = try Fixtures.dataset(count: 50, sampleShape: [3, 4, 4], seed: 41)
        var test = try Fixtures.dataset(count: 7, sampleShape: [3, 4, 4], seed: 42)
        test.name = "test"
        let (splits, normalization) = try DatasetSplits(train: train, test: test).normalized()
        let after = ChannelNormalization(statisticsOf: splits.train)
        assertClose(after.mean, [0, 0, 0], atol: 1e-5)
        assertClose(after.std, [1, 1, 1], atol: 1e-5)
        // Test values use the training statistics: x ↦ (x − mean) / std.
        let plane = 16
        let expected = test.images.enumerated().map { i, x in (x - normalization.mean[(i / plane) % 3]) / normalization.std[(i / plane) % 3]
        }
        assertClose(splits.test.images, expected, atol: 1e-5)
        #expect(splits.test.labels == test.labels)
    }

    @Test func constantChannelsStayFinite() throws {
        let constant = try Dataset(name: "c", images: [0.5, 0.5, 0.5, 0.5], labels: [0, 0], sampleShape: [1, 1, 2], classCount: 1)
        let statistics = ChannelNormalization(statisticsOf: constant)
        #expect(statistics.std == [ChannelNormalization.minimumStd])
        #expect(try statistics.apply(to: constant).images == [0, 0, 0, 0])
    }

    @Test func rejectsMismatchedChannelsAndBadStatistics() throws {
        let normalization = try ChannelNormalization(mean: [0, 0, 0], std: [1, 1, 1])
        let error = datasetError { try normalization.apply(to: try twoChannelSet()) }
        #expect(error?.description == "two: 2 channels, but the normalization has 3")
        #expect(throws: DatasetError.self) { try ChannelNormalization(mean: [0], std: [0]) }
        #expect(throws: DatasetError.self) { try ChannelNormalization(mean: [0, 1], std: [1]) }
    }
}
