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

/// Logits of a 2-2-2 CIFAR ResNet (width 4, 8×8 inputs) at initialization, in inference mode, with
/// stage 0's residual branches removed (depth masks 0) and stage 0's stream mask set to `scale`
/// everywhere: everything after the stem is then positively homogeneous in the stream, so
/// `logits − bias` scales as a power of `scale` that counts how often the stream is masked.
func streamScaledLogits(scale: Float, afterEveryBlock: Bool, backend: any Backend) throws -> [Double] {
    let input = Architecture.Input(channels: 1, height: 8, width: 8)
    let a = Architecture.cifarResNet(depth: 14, baseWidth: 4, input: input, classes: 4)
    let network = try Network(a, backend: backend, seed: 2)
    var rng = SeededRandom(seed: 3)
    let x = try backend.upload(rng.uniform(2 * 64), shape: [2, 1, 8, 8])
    var masks = NetworkMasks()
    masks.streamAfterEveryBlock = afterEveryBlock
    masks.stream[0] = Variable(try backend.upload([Float](repeating: scale, count: 4), shape: [4]))
    let zero = Variable(try backend.upload([0, 0], shape: [2]))
    masks.depth[0] = [0: (zero, 0), 1: (zero, 1)]
    let tape = Tape(backend: backend, training: false)
    return try backend.download(network.forward(tape.constant(x), on: tape, masks: masks).value).map(Double.init)
}
