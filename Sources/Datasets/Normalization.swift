/// Per-channel standardisation `x ↦ (x − mean[c]) / std[c]`, with statistics taken from the
/// training split and applied unchanged to every split (and to augmented batches).
public struct ChannelNormalization: Sendable, Equatable, Codable {
    /// Mean of each channel.
    public var mean: [Float]
    /// Standard deviation of each channel (never below `minimumStd`).
    public var std: [Float]

    /// Channels whose standard deviation is below this are divided by `minimumStd` instead,
    /// so constant channels do not produce infinities.
    public static let minimumStd: Float = 1e-6

    public init(mean: [Float], std: [Float]) throws {
        guard mean.count == std.count, !mean.isEmpty else {
            throw DatasetError.invalidArgument("normalization needs one mean and one std per channel; got \(mean.count) and \(std.count)")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw DatasetError.invalidArgument("normalization needs finite means and positive finite stds; got mean \(mean), std \(std)")
        }
        self.mean = mean
        self.std = std
    }

    /// The mean and population standard deviation of each channel of `dataset`, over all
    /// samples and pixels (accumulated in Double).
    public init(statisticsOf dataset: Dataset) {
        let channels = dataset.channels, plane = dataset.height * dataset.width
        var sums = [Double](repeating: 0, count: channels), squares = [Double](repeating: 0, count: channels)
        dataset.images.withUnsafeBufferPointer { images in
            guard let base = images.baseAddress else { return }
            for sample in 0..<dataset.count {
                for channel in 0..<channels {
                    let start = base + (sample * channels + channel) * plane
                    var sum = 0.0, square = 0.0
                    for i in 0..<plane {
                        let x = Double(start[i])
                        sum += x
                        square += x * x
                    }
                    sums[channel] += sum
                    squares[channel] += square
                }
            }
        }
        let n = Double(max(dataset.count * plane, 1))
        mean = sums.map { Float($0 / n) }
        std = zip(sums, squares).map { sum, square in
            let m = sum / n
            return max(Float(max(square / n - m * m, 0).squareRoot()), Self.minimumStd)
        }
    }

    /// Number of channels.
    public var channels: Int { mean.count }

    /// Normalizes NCHW `images` in place; `images.count` must be a multiple of `channels · plane`.
    public func apply(to images: UnsafeMutableBufferPointer<Float>, plane: Int) {
        let sampleSize = channels * plane
        precondition(sampleSize > 0 && images.count % sampleSize == 0, "images are not whole samples of \(channels)×\(plane)")
        let scale = std.map { 1 / max($0, Self.minimumStd) }
        var offset = 0
        while offset < images.count {
            for channel in 0..<channels {
                let m = mean[channel], s = scale[channel]
                for i in offset..<offset + plane { images[i] = (images[i] - m) * s }
                offset += plane
            }
        }
    }

    /// `dataset` with every image normalized. Throws when the channel counts differ.
    public func apply(to dataset: Dataset) throws -> Dataset {
        guard dataset.channels == channels else {
            throw DatasetError.invalidArgument("\(dataset.name): \(dataset.channels) channels, but the normalization has \(channels)")
        }
        var images = dataset.images
        images.withUnsafeMutableBufferPointer { apply(to: $0, plane: dataset.height * dataset.width) }
        return Dataset(
            unchecked: dataset.name, images: images, labels: dataset.labels, sampleShape: dataset.sampleShape,
            classCount: dataset.classCount, classNames: dataset.classNames)
    }
}

extension DatasetSplits {
    /// Both splits standardised with the training split's per-channel statistics, and those
    /// statistics (to normalize other data the same way).
    public func normalized() throws -> (splits: DatasetSplits, normalization: ChannelNormalization) {
        let normalization = ChannelNormalization(statisticsOf: train)
        return (DatasetSplits(train: try normalization.apply(to: train), test: try normalization.apply(to: test)), normalization)
    }
}
