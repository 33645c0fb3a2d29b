import Foundation
import NN

/// The results of a search run: every arm of every repeat, per-arm summaries, and the paired
/// differences of DMS against each baseline with 95% intervals. Written as `report.md` and
/// `report.json`.
public struct SearchReport: Codable, Sendable {
    public var plan: SearchPlan
    public var results: [ArmResult]
    public var dataName: String
    public var trainCount: Int, validationCount: Int, testCount: Int
    public var device: String
    /// Repeat 1's searched widths.
    public var widths: [WidthRow] = []

    public init(
        plan: SearchPlan, results: [ArmResult], dataName: String, trainCount: Int, validationCount: Int, testCount: Int, device: String
    ) {
        self.plan = plan; self.results = results; self.dataName = dataName
        self.trainCount = trainCount; self.validationCount = validationCount; self.testCount = testCount; self.device = device
    }

    public var arms: [Arm] { Array(Set(results.map(\.arm))).sorted() }

    public func runs(of arm: Arm) -> [ArmResult] { results.filter { $0.arm == arm }.sorted { $0.repeatIndex < $1.repeatIndex } }

    /// Test accuracy (points) of `arm` over the repeats.
    public func testSummary(_ arm: Arm) -> Summary { Summary(runs(of: arm).map { $0.testAccuracy * 100 }) }

    /// DMS − `other` on test accuracy (points), paired by repeat; nil unless both ran every repeat.
    public func comparison(_ other: Arm, validation: Bool = false) -> PairedComparison? {
        let a = runs(of: .dms), b = runs(of: other)
        guard !a.isEmpty, a.map(\.repeatIndex) == b.map(\.repeatIndex) else { return nil }
        func value(_ r: ArmResult) -> Double? { validation ? r.validationAccuracy.map { $0 * 100 } : r.testAccuracy * 100 }
        let x = a.compactMap(value), y = b.compactMap(value)
        guard x.count == a.count, y.count == b.count else { return nil }
        return PairedComparison(x, y)
    }

    /// How each arm got its weights: p- evaluates the pruned pretrained weights as they are,
    /// p fine-tunes them, np (and every baseline) trains from scratch.
    func trainingSentence() -> String {
        let recipe =
            "\(plan.retrain.epochs) epochs (batch \(plan.retrain.batchSize), SGD \(plan.retrain.learningRate) \(plan.retrain.schedule.rawValue))"
        let baselines = arms.contains { $0 != .dms }
        switch plan.pipeline {
        case .pMinus:
            let statistics =
                (plan.recalibrationImages ?? 0) > 0
                ? " (batch-norm statistics re-estimated on up to \(plan.recalibrationImages!) training images)"
                : " (with the supernet's batch-norm statistics)"
            return "the DMS arm is the pretrained supernet's pruned weights, evaluated without training" + statistics
                + (baselines ? "; the baselines trained \(recipe)" : "")
        case .p:
            return "the DMS arm fine-tuned the pruned supernet weights \(recipe)"
                + (baselines ? "; the baselines trained from scratch with the same recipe" : "")
        case .np:
            return (baselines ? "every arm trained " : "the DMS arm trained ") + "from scratch \(recipe)"
        }
    }

    /// One sentence per baseline that says no more than the interval supports.
    public func verdicts() -> [String] {
        arms.filter { $0 != .dms }.compactMap { other in
            guard let c = comparison(other) else { return nil }
            let k = c.differences.count
            let interval = c.interval.map { String(format: "95%% interval %+.2f to %+.2f", $0.lowerBound, $0.upperBound) }
            switch c.verdict {
            case .ahead:
                return String(
                    format: "DMS is **ahead** of %@ by %+.2f points (%@, %d paired repeats).", other.rawValue, c.mean, interval!, k)
            case .behind:
                return String(format: "DMS is **behind** %@ by %+.2f points (%@, %d paired repeats).", other.rawValue, c.mean, interval!, k)
            case .withinNoise:
                return String(
                    format: "DMS and %@ are **within noise**: %+.2f points, %@ holds zero (%d paired repeats).", other.rawValue, c.mean,
                    interval!, k)
            case .noInterval:
                return String(
                    format:
                        "DMS − %@ = %+.2f points from one repeat: no interval, so this cannot be told from seed noise (0.1–0.3 points); run with `--repeats 3` or more.",
                    other.rawValue, c.mean)
            }
        }
    }

    public func markdown() -> String {
        let kind = plan.resource.rawValue
        var md = "# DMS search report\n\n"
        md +=
            "- pipeline **\(plan.pipeline.rawValue)**, data \(dataName): \(trainCount) train / \(validationCount) held-out validation / \(testCount) test images; device \(device)\n"
        md +=
            "- base \(plan.base.notes["name"] ?? plan.base.family.rawValue): \(ResourceCount.human(Int(plan.resource.value(of: plan.base)))) \(kind), depths \(LayerWidths.depths(plan.base)); "
        md +=
            "supernet \(ResourceCount.human(Int(plan.resource.value(of: plan.supernet)))) \(kind), depths \(LayerWidths.depths(plan.supernet))\n"
        md +=
            "- target \(ResourceCount.human(Int(plan.target))) \(kind); search \(plan.search.steps) steps × \(plan.search.batchSize) images; "
        md += trainingSentence() + "\n"
        if let ablations = plan.search.ablations, !ablations.isEmpty {
            md +=
                "- **ablation**: the DMS search ran with \(ablations.map { "`\($0.rawValue)`" }.joined(separator: ", ")) undone (an earlier rule restored to measure a correction; not the method)\n"
        }
        md +=
            "- \(plan.repeats) paired repeat\(plan.repeats == 1 ? "" : "s"): repeat r uses seed \(plan.seed) + r − 1 for every arm; accuracies are the final epoch's (no selection on the test set)\n\n"
        let verdictLines = verdicts()
        md +=
            "## Result\n\n"
            + (verdictLines.isEmpty
                ? "No baseline was run (`--no-baseline`), so there is nothing to compare DMS with." : verdictLines.joined(separator: "\n"))
            + "\n\n"
        md +=
            "| arm | test accuracy | validation accuracy | \(kind) (mean) | parameters (mean) | depths | search time | train time (mean) |\n|---|---|---|---|---|---|---|---|\n"
        for arm in arms {
            let runs = runs(of: arm)
            let test = testSummary(arm), validation = Summary(runs.compactMap { $0.validationAccuracy.map { $0 * 100 } })
            let macs = Summary(runs.map { Double(plan.resource == .macs ? $0.macs : $0.parameters) }).mean
            let params = Summary(runs.map { Double($0.parameters) }).mean
            let search = Summary(runs.compactMap(\.searchSeconds))
            md +=
                "| \(arm.rawValue) | \(Self.meanStd(test)) | \(validation.count > 0 ? Self.meanStd(validation) : "–") | \(ResourceCount.human(Int(macs))) | "
            md += "\(ResourceCount.human(Int(params))) | \(Set(runs.map(\.depths)).sorted().joined(separator: ", ")) | "
            md += "\(search.count > 0 ? Self.duration(search.mean) : "–") | \(Self.duration(Summary(runs.map(\.trainSeconds)).mean)) |\n"
        }
        let others = arms.filter { $0 != .dms }
        if !others.isEmpty {
            md +=
                "\n## Paired differences, DMS − baseline (points)\n\n| baseline | split | per repeat | mean | 95% interval | verdict |\n|---|---|---|---|---|---|\n"
            for other in others {
                for validation in [false, true] {
                    guard let c = comparison(other, validation: validation) else { continue }
                    let interval = c.interval.map { String(format: "%+.2f … %+.2f", $0.lowerBound, $0.upperBound) } ?? "–"
                    md +=
                        "| \(other.rawValue) | \(validation ? "validation" : "test") | \(c.differences.map { String(format: "%+.2f", $0) }.joined(separator: ", ")) | "
                    md += String(format: "%+.2f | %@ | %@ |\n", c.mean, interval, c.verdict.rawValue)
                }
            }
        }
        md +=
            "\n## Every run\n\n| repeat | seed | arm | test | validation | \(kind) | parameters | depths | train time | note |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for r in results.sorted(by: { ($0.repeatIndex, $0.arm) < ($1.repeatIndex, $1.arm) }) {
            md += String(
                format: "| %d | %llu | %@ | %.2f%% | %@ | %@ | %@ | %@ | %@ | %@ |\n", r.repeatIndex, r.seed, r.arm.rawValue,
                r.testAccuracy * 100,
                r.validationAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "–",
                ResourceCount.human(plan.resource == .macs ? r.macs : r.parameters), ResourceCount.human(r.parameters), r.depths,
                r.trainSeconds > 0 ? Self.duration(r.trainSeconds) : "–", r.note ?? "")
        }
        if !widths.isEmpty {
            md += "\n## Searched widths (repeat 1)\n\n![widths](widths.svg)\n\n| unit | supernet | base | searched |\n|---|---|---|---|\n"
            for row in widths {
                md += "| \(row.unit) | \(row.supernet) | \(row.base) | \(row.blockRemoved ? "– (block removed)" : "\(row.searched)") |\n"
            }
        }
        md += "\n## The search (repeat 1)\n\n![resource](search.svg)\n\n![kept](kept.svg)\n"
        if plan.repeats == 1 && plan.pipeline != .pMinus {
            md +=
                "\nTo tell DMS from seed noise, run the paired comparison: the same command with `--repeats 3` (about three times as long).\n"
        }
        return md
    }

    public func write(to folder: URL) throws {
        try markdown().write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        try writeJSON(ReportJSON(self), to: folder.appendingPathComponent("report.json"))
    }

    static func meanStd(_ s: Summary) -> String {
        s.count > 1 ? String(format: "%.2f ± %.2f%%", s.mean, s.standardDeviation) : String(format: "%.2f%%", s.mean)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// The machine-readable report: the plan's essentials, every run, summaries and comparisons.
struct ReportJSON: Encodable {
    struct ArmSummary: Encodable {
        let arm: Arm
        let test_accuracy_mean: Double, test_accuracy_std: Double
        let validation_accuracy_mean: Double?, validation_accuracy_std: Double?
        let runs: Int
    }
    let pipeline: String, resource: String, target: Double, repeats: Int, seed: UInt64
    let retrain_epochs: Int, search_steps: Int
    let data: String, device: String
    let runs: [ArmResult]
    let arms: [ArmSummary]
    let comparisons: [String: PairedComparison]
    let validation_comparisons: [String: PairedComparison]
    let verdicts: [String]
    let widths: [WidthRow]

    init(_ r: SearchReport) {
        pipeline = r.plan.pipeline.rawValue; resource = r.plan.resource.rawValue; target = r.plan.target
        repeats = r.plan.repeats; seed = r.plan.seed; retrain_epochs = r.plan.retrain.epochs; search_steps = r.plan.search.steps
        data = r.dataName; device = r.device; runs = r.results; widths = r.widths
        arms = r.arms.map { arm in
            let t = r.testSummary(arm), v = Summary(r.runs(of: arm).compactMap { $0.validationAccuracy.map { $0 * 100 } })
            return ArmSummary(
                arm: arm, test_accuracy_mean: t.mean, test_accuracy_std: t.standardDeviation,
                validation_accuracy_mean: v.count > 0 ? v.mean : nil, validation_accuracy_std: v.count > 0 ? v.standardDeviation : nil,
                runs: t.count)
        }
        var c: [String: PairedComparison] = [:], vc: [String: PairedComparison] = [:]
        for arm in r.arms where arm != .dms {
            c[arm.rawValue] = r.comparison(arm)
            vc[arm.rawValue] = r.comparison(arm, validation: true)
        }
        comparisons = c; validation_comparisons = vc
        verdicts = r.verdicts()
    }
}
