@testable import CellSearch
import Datasets
import NN
import ReferenceBackend
import TensorCore

/// Small synthetic classification data: class `k` images carry a bright `k`-th stripe plus noise.
func stripes(count: Int, classes: Int = 4, size: Int = 8, seed: UInt64 = 1) throws -> Dataset {
    var rng = SeededRandom(seed: seed)
    var images: [Float] = [], labels: [Int] = []
    for n in 0..<count {
        let label = n % classes
        labels.append(label)
        for y in 0..<size {
            for _ in 0..<size { images.append((y * classes / size == label ? 0.8 : 0.1) + 0.3 * rng.nextUnit()) }
        }
    }
    return try Dataset(name: "stripes", images: images, labels: labels, sampleShape: [1, size, size], classCount: classes)
}

/// A tiny search: C = 4, one cell per stage (NAS-Bench-201) or 3 cells (DARTS), 8×8 images, batch 6 by default.
func tinySearch(
    _ method: CellMethod, space: CellSpace, backend: any Backend = ReferenceBackend(), epochs: Int = 1, images: Int = 24,
    imageSize: Int = 8, batch: Int = 6
) throws -> CellSearch {
    var c = CellSearchConfiguration.official(method, space: space)
    c.size =
        space == .nb201
        ? CellNetworkSize(channels: 4, cells: 1, nodes: 3, inputChannels: 1, classes: 4)
        : CellNetworkSize(channels: 4, cells: 3, nodes: 2, inputChannels: 1, classes: 4)
    if method == .pcdarts { c.partialChannels = 2 }
    c.epochs = epochs
    c.batchSize = batch
    c.augment = false
    c.evaluationImages = 12
    c.recordInterval = 1
    c.architectureLearningRate = 0.05
    return try CellSearch(
        c, train: try stripes(count: images, size: imageSize, seed: 1), validation: try stripes(count: images, size: imageSize, seed: 2),
        backend: backend)
}
