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
            let t = augmentation.drawTransform(using: &random)
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
        let epoch0 = (0..<200).map { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0) }
        #expect(epoch0 == (0..<200).map { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0) })
        #expect(epoch0 != (0..<200).map { augmentation.transform(seed: 1, epoch: 1, sampleIndex: $0) })
        #expect(epoch0 != (0..<200).map { augmentation.transform(seed: 2, epoch: 0, sampleIndex: $0) })
    }

    @Test func theSwitchTurnsItOff() {
        var augmentation = Augmentation(cropPadding: 4)
        augmentation.isEnabled = false
        #expect(!augmentation.isActive)
        #expect((0..<50).allSatisfy { augmentation.transform(seed: 1, epoch: 0, sampleIndex: $0).isIdentity })
        #expect(!Augmentation.disabled.isActive)
        var random = SeededRandom(seed: 1)
        #expect(Augmentation.disabled.drawTransform(using: &random) == .identity)
    }
}
