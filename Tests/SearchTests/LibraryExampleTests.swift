import Datasets
import Foundation
import NN
import ReferenceBackend
import Search
import Testing
import Training

/// The README's "use it as a library" example, compiled and run: a whole search (DMS against
/// uniform scaling and random search, two paired repeats) from Swift code, without the CLI.
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diffnas-library-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try stripesDataset(count: 96)

        // README example starts here.
        let splits = DatasetSplits(train: data, test: data)
        let base = Architecture.mlp(hidden: [32, 32], input: .init(channels: 1, height: 8, width: 8), classes: 4)
        var search = DMSConfiguration()
        search.steps = 10; search.batchSize = 16; search.augment = false
        var retrain = TrainingConfiguration()
        retrain.epochs = 1; retrain.batchSize = 16; retrain.augment = false
        var plan = SearchPlan(
            base: base, supernet: base.scaled(width: 1.5), target: 0.5 * Double(base.resources.macs),
            search: search, retrain: retrain)
        plan.repeats = 2
        let pipeline = try SearchPipeline(plan: plan, splits: splits, backend: ReferenceBackend(), folder: folder)
        let report = try pipeline.run()
        print(report.verdicts().joined(separator: "\n"))
        // README example ends here.

        #expect(report.results.count == 6)
        #expect(report.comparison(.uniform)?.interval != nil && report.comparison(.random)?.interval != nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.md").path))
    }
}
