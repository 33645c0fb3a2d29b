import CellSearch
import Datasets
import NN
import TensorCore

extension StepSuite {
    /// One iteration of each cell search at the reduced presets `diffnas search --method …` runs
    /// (NAS-Bench-201 C = 8, 2 cells per stage; DARTS C = 8, 5 cells; 1×16×16 images): the α-step
    /// and the w-step, `CellSearch.runStep`. `--quick`: C = 4, one cell per stage, 8×8, batch 8.
    public static func cellSearchSteps(quick: Bool) -> [StepWorkload] {
        let cases: [(CellMethod, CellSpace)] = [
            (.darts, .nb201), (.darts2, .nb201), (.pcdarts, .nb201), (.gdas, .nb201), (.darts, .darts), (.pcdarts, .darts),
        ]
        return cases.filter { !quick || $0.1 == .nb201 }.map { method, space in
            let reduced = CellSearchConfiguration.reduced(method, space: space, epochs: 1, stepsPerEpoch: 1)
            let batch = quick ? 8 : reduced.batchSize
            let size = quick ? CellNetworkSize(channels: method == .pcdarts ? 8 : 4, cells: 1, nodes: 3, inputChannels: 1) : reduced.size
            let side = quick ? 8 : 16
            return cellSearchStep(
                method: method, space: space, size: size, side: side, batch: batch,
                detail: "\(space.rawValue) C = \(size.channels), \(size.cells) cells, 1×\(side)×\(side), α-step + w-step")
        }
    }

    /// `CellSearch.runStep` on seeded data large enough that the steps never run out. Checked
    /// outputs: after one iteration, α (and β) and every updated weight, at batch 4: at batch 2
    /// the batch norms see two images, and near-ties there (a max-pool argmax, a ReLU at 0) flip
    /// under the backends' different summation orders — measured on the DARTS-space PC-DARTS
    /// step, the updated `stem.bn.bias` differs by 4e-3 of its norm at batch 2 and by 4e-7 at 4.
    static func cellSearchStep(
        method: CellMethod, space: CellSpace, size: CellNetworkSize, side: Int, batch: Int, detail: String
    ) -> StepWorkload {
        StepWorkload(name: "\(method.rawValue) search step", detail: detail, batch: batch, checkBatch: 4) { backend, batch in
            var configuration = CellSearchConfiguration.reduced(method, space: space, epochs: 1000, stepsPerEpoch: 4)
            configuration.size = size
            configuration.batchSize = batch
            configuration.augment = false
            configuration.evaluationImages = 0
            configuration.recordInterval = 1_000_000
            var rng = SeededRandom(seed: 11)
            func data(_ count: Int) throws -> Dataset {
                try Dataset(
                    name: "bench", images: rng.uniform(count * side * side), labels: (0..<count).map { ($0 * 7) % 10 },
                    sampleShape: [1, side, side], classCount: 10)
            }
            let search = try CellSearch(configuration, train: try data(4 * batch), validation: try data(4 * batch), backend: backend)
            return StepInstance(
                run: { try search.runStep() },
                outputs: {
                    var list: [(name: String, values: [Float])] = [("architecture weights", search.architecture.flattened.map(Float.init))]
                    for p in search.network.parameters { list.append(("updated \(p.name)", try backend.download(p.value))) }
                    return list
                })
        }
    }
}
