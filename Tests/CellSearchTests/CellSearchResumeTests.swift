@testable import CellSearch
import Datasets
import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing

/// A search stopped at any step and restored from its checkpoint continues exactly: the same α,
/// weights, momentum and records as the run that never stopped (bit for bit on the reference backend).
@Suite struct CellSearchResumeTests {
    func state(_ s: CellSearch) throws -> [[Float]] {
        try s.namedState.map { try s.backend.download($0.tensor) }
    }

    @Test(arguments: [(CellMethod.darts, CellSpace.nb201), (.darts2, .nb201), (.pcdarts, .nb201), (.gdas, .nb201), (.darts, .darts)])
    func checkpointResumesExactly(_ method: CellMethod, _ space: CellSpace) throws {
        let straight = try tinySearch(method, space: space, epochs: 2)
        for _ in 0..<3 { try straight.runStep() }
        let checkpoint = try Checkpoint.decode(try straight.makeCheckpoint().encoded())
        for _ in 0..<3 { try straight.runStep() }  // into the second epoch (4 steps per epoch)

        let resumed = try tinySearch(method, space: space, epochs: 2)
        try resumed.restore(from: checkpoint)
        #expect(resumed.step == 3)
        for _ in 0..<3 { try resumed.runStep() }
        #expect(resumed.architecture == straight.architecture)
        #expect(try state(resumed) == state(straight))
        #expect(resumed.records.map(\.trainLoss) == straight.records.map(\.trainLoss))
        #expect(try resumed.genotype() == straight.genotype())
        // α moved (the search did something) and, for GDAS, τ fell with the epoch.
        #expect(straight.architecture.alpha != (try tinySearch(method, space: space, epochs: 2)).architecture.alpha)
        if method == .gdas { #expect(straight.records.last!.temperature! < straight.records.first!.temperature!) }
    }

    @Test func checkpointOfAnotherSearchIsRefused() throws {
        let a = try tinySearch(.darts, space: .nb201)
        try a.runStep()
        let b = try tinySearch(.gdas, space: .nb201)
        #expect(throws: CheckpointError.self) { try b.restore(from: try a.makeCheckpoint()) }
        #expect(b.step == 0)
    }

    /// PC-DARTS keeps α and β frozen for its warm-up fraction of the epochs.
    @Test func pcdartsFreezesArchitectureFirst() throws {
        var c = try tinySearch(.pcdarts, space: .nb201, epochs: 2).configuration
        c.architectureWarmupFraction = 0.5
        let s = try CellSearch(
            c, train: try stripes(count: 24, seed: 1), validation: try stripes(count: 24, seed: 2), backend: ReferenceBackend())
        let initial = s.architecture
        for _ in 0..<s.stepsPerEpoch { try s.runStep() }
        #expect(s.architecture == initial, "α moved during the frozen first epoch")
        try s.runStep()
        #expect(s.architecture.alpha != initial.alpha && s.architecture.beta != initial.beta)
    }

    /// The memory accounting sees the step's tensors, and partial channels need less of it.
    @Test func peakMemoryIsRecordedAndPartialChannelsUseLess() throws {
        let full = try tinySearch(.darts, space: .darts)
        let partial = try tinySearch(.pcdarts, space: .darts)
        let a = try full.runStep(), b = try partial.runStep()
        #expect(a.peakBytes > 0 && b.peakBytes > 0)
        #expect(b.peakBytes < a.peakBytes, "PC-DARTS \(b.peakBytes) B vs DARTS \(a.peakBytes) B")
    }
}
