import Datasets
import TensorCore

/// The images a cell search reads. The reduced searches run at 16×16 (the shared notes'
/// budget): a side that is not a multiple of 8 is zero-padded to the next one (Fashion-MNIST's
/// 28 → 32), then averaged over 2×2 blocks until it reaches `side`.
public enum CellData {
    public static func resized(_ dataset: Dataset, side: Int) throws -> Dataset {
        try require(side >= 4 && side % 4 == 0, "cell data: the image side must be a multiple of 4, got \(side)")
        try require(dataset.height == dataset.width, "cell data: images must be square, got \(dataset.height)×\(dataset.width)")
        var images = dataset.images
        var current = dataset.height
        let channels = dataset.channels
        if current % 8 != 0 {
            let padded = (current + 7) / 8 * 8
            let before = (padded - current) / 2
            var out = [Float](repeating: 0, count: dataset.count * channels * padded * padded)
            for n in 0..<(dataset.count * channels) {
                for y in 0..<current {
                    for x in 0..<current {
                        out[(n * padded + y + before) * padded + x + before] = images[(n * current + y) * current + x]
                    }
                }
            }
            images = out
            current = padded
        }
        while current > side {
            try require(current % 2 == 0 && current / 2 >= side, "cell data: cannot average \(current)×\(current) down to \(side)")
            let half = current / 2
            var out = [Float](repeating: 0, count: dataset.count * channels * half * half)
            for n in 0..<(dataset.count * channels) {
                for y in 0..<half {
                    for x in 0..<half {
                        let base = (n * current + 2 * y) * current + 2 * x
                        out[(n * half + y) * half + x] =
                            (images[base] + images[base + 1] + images[base + current] + images[base + current + 1]) / 4
                    }
                }
            }
            images = out
            current = half
        }
        try require(
            current == side,
            "cell data: \(dataset.height)×\(dataset.width) images cannot become \(side)×\(side) (pad to a multiple of 8, then halve)")
        return try Dataset(
            name: dataset.name, images: images, labels: dataset.labels, sampleShape: [channels, side, side], classCount: dataset.classCount,
            classNames: dataset.classNames)
    }
}
