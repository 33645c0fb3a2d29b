import NN
import Search
import Testing
import Training

/// The report's header says how each arm got its weights, per pipeline, and a run without
/// baselines says so instead of leaving the result empty.
@Suite struct ReportHeaderTests {
    func report(_ pipeline: Pipeline, arms: [Arm], recalibrationImages: Int? = nil) -> String {
        let base = Architecture.mlp(hidden: [8], input: .init(channels: 1, height: 4, width: 4), classes: 2)
        var retrain = TrainingConfiguration()
        retrain.epochs = 5
        var plan = SearchPlan(base: base, supernet: base, target: 100, search: DMSConfiguration(), retrain: retrain)
        plan.pipeline = pipeline
        plan.recalibrationImages = recalibrationImages
        let results = arms.map {
            ArmResult(
                arm: $0, repeatIndex: 1, seed: 42, macs: 100, parameters: 10, depths: "1", testAccuracy: 0.9,
                validationAccuracy: nil, trainSeconds: 1, searchSeconds: nil, note: nil)
        }
        return SearchReport(plan: plan, results: results, dataName: "d", trainCount: 1, validationCount: 0, testCount: 1, device: "x")
            .markdown()
    }

    @Test func pMinusDoesNotClaimTheDMSArmWasTrained() {
        let text = report(.pMinus, arms: [.dms])
        #expect(text.contains("the DMS arm is the pretrained supernet's pruned weights, evaluated without training"))
        #expect(!text.contains("trained 5 epochs") && !text.contains("every arm trained"))
        #expect(text.contains("No baseline was run"))
        #expect(report(.pMinus, arms: [.dms, .uniform]).contains("; the baselines trained 5 epochs"))
        #expect(text.contains("(with the supernet's batch-norm statistics)"))
        #expect(
            report(.pMinus, arms: [.dms], recalibrationImages: 500)
                .contains("evaluated without training (batch-norm statistics re-estimated on up to 500 training images)"))
    }

    @Test func npAndPSayWhatTrained() {
        #expect(report(.np, arms: [.dms, .uniform, .random]).contains("every arm trained from scratch 5 epochs"))
        #expect(report(.np, arms: [.dms]).contains("the DMS arm trained from scratch 5 epochs"))
        #expect(report(.p, arms: [.dms, .uniform]).contains("the DMS arm fine-tuned the pruned supernet weights 5 epochs"))
        #expect(!report(.np, arms: [.dms, .uniform]).contains("No baseline was run"))
    }
}
