import Datasets
import TensorCore
import Testing

@Suite struct AugmentationTests {
    /// One channel, 3 rows × 4 columns:
    ///
    ///     1  2  3  4
    ///     5  6  7  8
    ///     9 10 11 12
    private let image: [Float] = (1...12).map(Float.init)
    private let shape = [1, 3, 4]

    private func apply(_ transform: Augmentation.Transform) -> [Float] {
        Augmentation.apply(transform, to: image, sampleShape: shape)
    }

    @Test func identityCopies() {
        #expect(apply(.identity) == image)
    }

    /// A crop of the zero-padded image shifted by one column: output (y, x) = input (y, x + 1).
    @Test func cropsWithZeroPadding() {
        #expect(apply(.init(offsetX: 1, offsetY: 0)) == [2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0])
        #expect(apply(.init(offsetX: -1, offsetY: -1)) == [0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7])
        #expect(apply(.init(offsetX: 2, offsetY: 2)) == [11, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(apply(.init(offsetX: 0, offsetY: 1)) == [5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0])
        #expect(apply(.init(offsetX: 5, offsetY: 0)) == Array(repeating: 0, count: 12), "shifted out entirely")
        #expect(apply(.init(offsetX: 0, offsetY: -3)) == Array(repeating: 0, count: 12))
    }

    @Test func flipsHorizontally() {
        #expect(apply(.init(flip: true)) == [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9])
    }

    /// Crop first, then flip: flip([2, 3, 4, 0]) = [0, 4, 3, 2].
    @Test func cropsThenFlips() {
        #expect(apply(.init(offsetX: 1, offsetY: 0, flip: true)) == [0, 4, 3, 2, 0, 8, 7, 6, 0, 12, 11, 10])
        #expect(apply(.init(offsetX: -2, offsetY: 1, flip: true)) == [6, 5, 0, 0, 10, 9, 0, 0, 0, 0, 0, 0])
        #expect(apply(.init(offsetX: -5, offsetY: 0, flip: true)) == Array(repeating: 0, count: 12))
    }

    @Test func transformsEveryChannelAlike() {
        let twoChannels = image + image.map { $0 + 100 }
        let out = Augmentation.apply(.init(offsetX: 1, offsetY: 1, flip: true), to: twoChannels, sampleShape: [2, 3, 4])
        let first = apply(.init(offsetX: 1, offsetY: 1, flip: true))
        #expect(Array(out[0..<12]) == first)
        #expect(Array(out[12..<24]) == first.map { $0 == 0 ? 0 : $0 + 100 })
    }

    @Test func drawsEveryOffsetAndBothFlips() {
        let augmentation = Augmentation(cropPadding: 2)
        var random = SeededRandom(seed: 3)
        var offsets = Set<Int>(), flips = Set<Bool>()
        for _ in 0..<500 {
            let t = augmentation.drawTransform(using: &random, height: 8, width: 8)
            offsets.insert(t.offsetX)
            offsets.insert(t.offsetY)
            flips.insert(t.flip)
        }
        #expect(offsets == Set(-2...2))
        #expect(flips == [false, true])
    }

    @Test func transformsDependOnlyOnSeedEpochAndSample() {
        let augmentation = Augmentation.standard(imageSize: 32)
        #expect(augmentation.cropPadding == 4 && Augmentation.standard(imageSize: 28).cropPadding == 2)
        let epoch0 = (0..<200).map { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0, height: 32, width: 32) }
        #expect(epoch0 == (0..<200).map { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0, height: 32, width: 32) })
        #expect(epoch0 != (0..<200).map { augmentation.transform(seed: 1, epoch: 1, sampleIndex: $0, height: 32, width: 32) })
        #expect(epoch0 != (0..<200).map { augmentation.transform(seed: 2, epoch: 0, sampleIndex: $0, height: 32, width: 32) })
    }

    @Test func theSwitchTurnsItOff() {
        var augmentation = Augmentation(cropPadding: 4)
        augmentation.isEnabled = false
        #expect(!augmentation.isActive)
        #expect((0..<50).allSatisfy { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0, height: 32, width: 32).isIdentity })
        #expect(!Augmentation.disabled.isActive)
        var random = SeededRandom(seed: 1)
        #expect(Augmentation.disabled.drawTransform(using: &random, height: 8, width: 8) == .identity)
    }

    // MARK: Cutout (DARTS' `Cutout(length)`: centre uniform over the pixels, half side ⌊L/2⌋, clipped)

    @Test func cutoutSquareFollowsTheOfficialRule() {
        typealias Square = Augmentation.CutoutSquare
        // L = 16 on 32×32: a corner centre keeps only the inside quarter; the middle cuts 16×16.
        #expect(Square(centerY: 0, centerX: 0, length: 16, height: 32, width: 32) == Square(top: 0, bottom: 8, left: 0, right: 8))
        #expect(Square(centerY: 31, centerX: 31, length: 16, height: 32, width: 32) == Square(top: 23, bottom: 32, left: 23, right: 32))
        #expect(Square(centerY: 16, centerX: 5, length: 16, height: 32, width: 32) == Square(top: 8, bottom: 24, left: 0, right: 13))
        // Odd L cuts 2·⌊L/2⌋ = L − 1 pixels a side, like the official integer division.
        #expect(Square(centerY: 3, centerX: 4, length: 5, height: 7, width: 9) == Square(top: 1, bottom: 5, left: 2, right: 6))
        // L = 1: ⌊1/2⌋ = 0, nothing is cut.
        #expect(Square(centerY: 3, centerX: 3, length: 1, height: 7, width: 7) == Square(top: 3, bottom: 3, left: 3, right: 3))
    }

    @Test func cutoutZeroesTheSquareInEveryChannelOnly() {
        var twoChannels = image + image.map { $0 + 100 }  // [2, 3, 4]
        let square = Augmentation.CutoutSquare(top: 1, bottom: 3, left: 2, right: 4)
        twoChannels.withUnsafeMutableBufferPointer { square.apply(to: $0, channels: 2, height: 3, width: 4) }
        let first: [Float] = [1, 2, 3, 4, 5, 6, 0, 0, 9, 10, 0, 0]
        #expect(twoChannels == first + first.map { $0 == 0 ? 0 : $0 + 100 })
    }

    /// Turning cutout on leaves every crop and flip as it was (the centre is drawn last).
    @Test func cutoutLeavesTheCropsAndFlipsAlone() {
        let plain = Augmentation.standard(imageSize: 32), cut = Augmentation.standard(imageSize: 32, cutout: 16)
        #expect(!plain.isActive || plain.cutout == 0)
        for sample in 0..<300 {
            let a = plain.transform(seed: 9, epoch: 3, sampleIndex: sample, height: 32, width: 32)
            var b = cut.transform(seed: 9, epoch: 3, sampleIndex: sample, height: 32, width: 32)
            #expect(a.cutout == nil && b.cutout != nil)
            b.cutout = nil
            #expect(a == b)
        }
        // Cutout alone is an active augmentation that moves no pixel.
        let only = Augmentation(cropPadding: 0, horizontalFlip: false, cutout: 4)
        #expect(only.isActive)
        let t = only.transform(seed: 1, epoch: 0, sampleIndex: 0, height: 8, width: 8)
        #expect(t.movesNoPixel && t.cutout != nil && !t.isIdentity)
    }

    /// Over many draws each pixel is cut with the probability the rule gives: pixel y is covered
    /// when the centre lies in (y − ⌊L/2⌋, y + ⌊L/2⌋], so P = |that ∩ [0, H)| / H per axis.
    /// Bound: 5 binomial standard deviations.
    @Test func cutoutCoversEachPixelAsOftenAsTheRuleSays() {
        let height = 7, width = 9, length = 4, draws = 20_000
        let augmentation = Augmentation(cropPadding: 0, horizontalFlip: false, cutout: length)
        var counts = [Int](repeating: 0, count: height * width)
        var random = SeededRandom(seed: 77)
        for _ in 0..<draws {
            let square = augmentation.drawTransform(using: &random, height: height, width: width).cutout!
            for y in square.top..<square.bottom { for x in square.left..<square.right { counts[y * width + x] += 1 } }
        }
        func axis(_ p: Int, _ size: Int) -> Double {
            let half = length / 2
            return Double((0..<size).filter { $0 > p - half && $0 <= p + half }.count) / Double(size)
        }
        for y in 0..<height {
            for x in 0..<width {
                let p = axis(y, height) * axis(x, width)
                let bound = 5 * (Double(draws) * p * (1 - p)).squareRoot() + 1
                #expect(abs(Double(counts[y * width + x]) - Double(draws) * p) <= bound, "pixel (\(y), \(x))")
            }
        }
    }
}
