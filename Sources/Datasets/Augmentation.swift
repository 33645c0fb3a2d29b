import TensorCore

/// Training-time augmentation: a random crop of the image padded with zeros (a random shift by
/// at most `cropPadding` pixels in each direction, uncovered pixels set to 0) followed by a
/// horizontal flip with probability ½ — the standard CIFAR/Fashion-MNIST recipe — and optionally
/// DARTS' cutout: a square of `cutout` pixels a side, centred at a uniformly drawn pixel
/// (cy, cx) and clipped at the borders, rows `max(0, cy − L/2) ..< min(H, cy + L/2)` and the same
/// columns (integer L/2, so an odd L cuts L − 1 pixels as the official `Cutout` does), set to 0 in
/// every channel *after* normalization (the official code multiplies the normalized tensor by a
/// 0/1 mask, so the square holds the channel mean).
///
/// The random choices for a sample depend only on (seed, epoch, sample index), never on batch
/// size, thread timing or which samples came before, so a run is reproducible and can resume at
/// any epoch. Padding is applied to the pixels as stored: when a `BatchLoader` also normalizes,
/// it crops first and normalizes after, so the padding is black, as with torchvision.
public struct Augmentation: Sendable, Equatable, Codable {
    /// The switch: when false, images pass through unchanged whatever the other settings.
    public var isEnabled: Bool
    /// Maximum shift of the random crop in pixels; 0 disables cropping.
    public var cropPadding: Int
    /// Whether to flip half of the images left–right.
    public var horizontalFlip: Bool
    /// Side L of the cutout square in pixels; 0 disables it.
    public var cutout: Int

    public init(isEnabled: Bool = true, cropPadding: Int, horizontalFlip: Bool = true, cutout: Int = 0) {
        self.isEnabled = isEnabled
        self.cropPadding = max(cropPadding, 0)
        self.horizontalFlip = horizontalFlip
        self.cutout = max(cutout, 0)
    }

    /// No augmentation.
    public static let disabled = Augmentation(isEnabled: false, cropPadding: 0, horizontalFlip: false)

    /// The usual settings for square images of `imageSize` pixels: pad 4 for 32×32 and larger,
    /// pad 2 below (e.g. 28×28), with horizontal flips.
    public static func standard(imageSize: Int, cutout: Int = 0) -> Augmentation {
        Augmentation(cropPadding: imageSize >= 32 ? 4 : 2, horizontalFlip: true, cutout: cutout)
    }

    /// Whether any transformation can happen.
    public var isActive: Bool { isEnabled && (cropPadding > 0 || horizontalFlip || cutout > 0) }

    /// The transformation applied to one image.
    public struct Transform: Sendable, Equatable, Codable {
        /// Output pixel (y, x) comes from input (y + offsetY, x + offsetX) before the flip;
        /// offsets are in `-cropPadding...cropPadding`.
        public var offsetX: Int, offsetY: Int
        /// Whether the cropped image is mirrored left–right.
        public var flip: Bool
        /// The cutout square (applied after normalization), if any.
        public var cutout: CutoutSquare?

        public init(offsetX: Int = 0, offsetY: Int = 0, flip: Bool = false, cutout: CutoutSquare? = nil) {
            self.offsetX = offsetX
            self.offsetY = offsetY
            self.flip = flip
            self.cutout = cutout
        }

        public static let identity = Transform()
        public var isIdentity: Bool { self == .identity }
        /// Whether the crop and flip leave the pixels unchanged (the cutout may still apply).
        public var movesNoPixel: Bool { offsetX == 0 && offsetY == 0 && !flip }
    }

    /// Rows `top..<bottom` and columns `left..<right` set to zero (already clipped to the image).
    public struct CutoutSquare: Sendable, Equatable, Codable {
        public var top: Int, bottom: Int, left: Int, right: Int

        public init(top: Int, bottom: Int, left: Int, right: Int) {
            self.top = top; self.bottom = bottom; self.left = left; self.right = right
        }

        /// The official rule: centre (centerY, centerX), half side ⌊L/2⌋, clipped to H × W.
        public init(centerY: Int, centerX: Int, length: Int, height: Int, width: Int) {
            let half = length / 2
            self.init(
                top: min(height, max(0, centerY - half)), bottom: min(height, max(0, centerY + half)),
                left: min(width, max(0, centerX - half)), right: min(width, max(0, centerX + half)))
        }

        /// Zeroes the square in every channel of `image` (`[channels, height, width]`).
        public func apply(to image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int) {
            precondition(image.count >= channels * height * width, "buffer smaller than one image")
            guard top < bottom, left < right else { return }
            for channel in 0..<channels {
                for y in top..<bottom {
                    let row = (channel * height + y) * width
                    for x in left..<right { image[row + x] = 0 }
                }
            }
        }
    }

    /// Draws a transformation of an `height` × `width` image from `random`: the crop offsets, the
    /// flip, then the cutout centre (drawn last, so crops and flips are the same with or without it).
    public func drawTransform(using random: inout SeededRandom, height: Int, width: Int) -> Transform {
        guard isEnabled else { return .identity }
        var transform = Transform.identity
        if cropPadding > 0 {
            transform.offsetX = random.index(below: 2 * cropPadding + 1) - cropPadding
            transform.offsetY = random.index(below: 2 * cropPadding + 1) - cropPadding
        }
        if horizontalFlip { transform.flip = random.coinFlip() }
        if cutout > 0, height > 0, width > 0 {
            let centerY = random.index(below: height), centerX = random.index(below: width)
            transform.cutout = CutoutSquare(centerY: centerY, centerX: centerX, length: cutout, height: height, width: width)
        }
        return transform
    }

    /// The transformation of sample `sampleIndex` (an `height` × `width` image) in `epoch` of a run
    /// seeded with `seed`.
    public func transform(seed: UInt64, epoch: Int, sampleIndex: Int, height: Int, width: Int) -> Transform {
        guard isActive else { return .identity }
        var random = SeededRandom(seed: derivedSeed(derivedSeed(seed, epoch: epoch, stream: 2), epoch: sampleIndex, stream: 3))
        return drawTransform(using: &random, height: height, width: width)
    }

    /// Writes `source` (`[channels, height, width]`) transformed by `transform` into
    /// `destination` (same size).
    public static func apply(
        _ transform: Transform, source: UnsafeBufferPointer<Float>,
        destination: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int
    ) {
        let plane = height * width
        precondition(source.count >= channels * plane && destination.count >= channels * plane, "buffers smaller than one image")
        let dx = transform.offsetX, dy = transform.offsetY
        // Columns whose source column is inside the image.
        let lower = min(width, max(0, transform.flip ? dx : -dx))
        let validX = lower..<max(lower, min(width, transform.flip ? width + dx : width - dx))
        for channel in 0..<channels {
            let base = channel * plane
            for y in 0..<height {
                let row = base + y * width
                let sourceY = y + dy
                guard sourceY >= 0, sourceY < height, !validX.isEmpty else {
                    for x in 0..<width { destination[row + x] = 0 }
                    continue
                }
                let sourceRow = base + sourceY * width
                for x in 0..<validX.lowerBound { destination[row + x] = 0 }
                if transform.flip {
                    for x in validX { destination[row + x] = source[sourceRow + width - 1 - x + dx] }
                } else {
                    for x in validX { destination[row + x] = source[sourceRow + x + dx] }
                }
                for x in validX.upperBound..<width { destination[row + x] = 0 }
            }
        }
    }

    /// `image` (`[C, H, W]` flattened, `sampleShape` = `[C, H, W]`) transformed by `transform`.
    public static func apply(_ transform: Transform, to image: [Float], sampleShape: [Int]) -> [Float] {
        precondition(sampleShape.count == 3 && image.count == sampleShape.reduce(1, *), "image does not have shape \(sampleShape)")
        return [Float](unsafeUninitializedCapacity: image.count) { output, initialized in
            output.initialize(repeating: 0)
            image.withUnsafeBufferPointer { input in
                apply(
                    transform, source: input, destination: output,
                    channels: sampleShape[0], height: sampleShape[1], width: sampleShape[2])
            }
            initialized = image.count
        }
    }
}
