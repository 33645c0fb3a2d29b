import Datasets
import NN
import TensorCore

/// Small synthetic classification data: class `k` images carry a bright `k`-th stripe plus noise.
func stripesDataset(count: Int, classes: Int = 4, channels: Int = 1, size: Int = 8, seed: UInt64 = 1) throws -> Dataset {
    var rng = SeededRandom(seed: seed)
    var images: [Float] = [], labels: [Int] = []
    for n in 0..<count {
        let label = n % classes
        labels.append(label)
        for _ in 0..<channels {
            for y in 0..<size {
                for _ in 0..<size {
                    images.append((y * classes / size == label ? 0.8 : 0.1) + 0.1 * rng.nextUnit())
                }
            }
        }
    }
    return try Dataset(name: "stripes", images: images, labels: labels, sampleShape: [channels, size, size], classCount: classes)
}
