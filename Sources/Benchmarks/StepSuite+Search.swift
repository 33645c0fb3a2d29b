import Datasets
import NN
import Search
import TensorCore

extension StepSuite {
    /// The supernet of the default `diffnas search`: ResNet-20 on Fashion-MNIST's 1×28×28
    /// images, 1.25× wider (the `quick` preset's expand factor).
    public static func defaultSupernet(quick: Bool) -> Architecture {
        if quick {
            return Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 12, width: 12), classes: 10)
                .scaled(width: 1.25, depth: 1)
        }
        return Architecture.cifarResNet(depth: 20, input: .init(channels: 1, height: 28, width: 28), classes: 10).scaled(
            width: 1.25, depth: 1)
    }

    /// One DMS search step (`DMSSearch.runStep`): soft masks from every top-k unit (rank sort,
    /// sigmoid), the masked forward, softmax cross-entropy, backward, the Taylor importance
    /// update, the resource model, Adam on the pruning ratios (clamped) and SGD on the weights —
    /// on one fixed seeded batch, so every repetition does the same work.
    ///
    /// Checked outputs: the task loss, every unit's importance and pruning ratio after the
    /// step, and every updated weight.
    public static func searchStep(name: String, detail: String, architecture: Architecture, batch: Int, checkBatch: Int) -> StepWorkload {
        StepWorkload(name: name, detail: detail, batch: batch, checkBatch: checkBatch) { backend, batch in
            let network = try Network(architecture, backend: backend, seed: 7)
            var rng = SeededRandom(seed: 9)
            let input = architecture.input
            let sampleShape = [input.channels, input.height, input.width]
            let images = rng.uniform(batch * sampleShape.reduce(1, *))
            let labels = (0..<batch).map { ($0 * 7) % architecture.classes }
            let dataset = try Dataset(
                name: "bench", images: images, labels: labels, sampleShape: sampleShape, classCount: architecture.classes)
            var configuration = DMSConfiguration()
            configuration.batchSize = batch
            configuration.augment = false
            let search = try DMSSearch(
                network: network, train: dataset, normalization: nil, resource: .macs,
                target: 0.5 * ResourceModel(space: SearchSpace(architecture), kind: .macs).full,
                configuration: configuration)
            let fixed = Batch(
                images: images, labels: labels.map(Float.init), shape: [batch] + sampleShape,
                sampleIndices: Array(0..<batch), epoch: 0, index: 0)
            final class Latest { var loss: Float = .nan }
            let latest = Latest()
            return StepInstance(
                run: {
                    latest.loss = try search.runStep(fixed).taskLoss
                },
                outputs: {
                    var list: [(name: String, values: [Float])] = [("loss", [latest.loss])]
                    for unit in search.units {
                        list.append(("importance \(unit.key)", try backend.download(unit.importance)))
                        list.append(("ratio \(unit.key)", [try unit.ratioValue()]))
                    }
                    for p in network.parameters { list.append(("updated \(p.name)", try backend.download(p.value))) }
                    return list
                })
        }
    }
}
