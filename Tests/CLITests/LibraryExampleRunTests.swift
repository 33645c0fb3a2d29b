import Foundation
import NN
import Testing
import _TestSupport

/// The package's library example (`Examples/SearchAndExport`, product `diffnas-example`) builds
/// with the suite and runs: a search with both baselines, evaluation, ONNX and safetensors export.
@Suite(.timeLimit(.minutes(10))) struct LibraryExampleRunTests {
    @Test func exampleSearchesEvaluatesAndExports() throws {
        let folder = try makeTemporaryDirectory("diffnas-example")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try DiffNASProcess([folder.path], executable: "diffnas-example").wait(timeout: 600)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("DMS result") && result.standardOutput.contains("test accuracy"))
        #expect(result.standardOutput.contains("no interval"), "one repeat: the verdicts must say there is no interval")
        for file in ["model.onnx", "model.safetensors", "report.md", "plan.json", "repeat-1/dms/architecture.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "missing \(file)")
        }
        let onnx = try Data(contentsOf: folder.appendingPathComponent("model.onnx"))
        #expect(onnx.count > 1000 && String(decoding: onnx, as: UTF8.self).contains("diffnas"))
        let weights = try Checkpoint(safetensors: Data(contentsOf: folder.appendingPathComponent("model.safetensors")))
        let architecture = try Architecture.load(contentsOf: folder.appendingPathComponent("repeat-1/dms/architecture.json"))
        #expect(weights.tensors.map(\.name).sorted() == LayerPlan(architecture).tensors.map(\.name).sorted())
    }
}
