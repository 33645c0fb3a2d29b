import Foundation
import NN
import Search
import Training

extension SearchRunner {
    /// report.md, report.json, widths.svg and search.svg.
    func writeReport(search: DMSSearch, base: Architecture, searched: Architecture, searchedResult: PhaseResult,
                     baseline: (Architecture, PhaseResult)?, kind: ResourceKind, target: Double, dataName: String, device: String) throws {
        func value(_ a: Architecture) -> Int { kind == .macs ? a.resources.macs : a.resources.parameters }
        let achieved = Double(value(searched))
        let deviation = (achieved - target) / target * 100

        // Pictures: searched widths per unit against the base and the supernet; the search over time.
        let keys = search.units.filter { !$0.key.isDepth }.map(\.key)
        let kept = try Dictionary(uniqueKeysWithValues: search.units.map { ($0.key, try search.keptIndices($0).count) })
        let baseWidths = keys.map { Double(baseWidth(base, $0)) }
        let widths = SVGChart.bars(title: "Searched widths per layer (\(command.pipeline.rawValue))", labels: keys.map(\.description), series: [
            .init(name: "supernet", values: search.units.filter { !$0.key.isDepth }.map { Double($0.size) }, color: "#BAB0AC"),
            .init(name: "base", values: baseWidths, color: SVGChart.color(0)),
            .init(name: "searched (DMS)", values: keys.map { Double(kept[$0] ?? 0) }, color: SVGChart.color(1)),
        ], yLabel: "channels")
        try widths.write(to: outDir.appendingPathComponent("widths.svg"), atomically: true, encoding: .utf8)
        let rows = (try? String(contentsOf: outDir.appendingPathComponent("search.jsonl"), encoding: .utf8))?
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? []
        let steps = rows.map { ($0["step"] as? Double) ?? Double($0["step"] as? Int ?? 0) }
        func column(_ key: String) -> [Double] { rows.map { ($0[key] as? Double) ?? Double($0[key] as? Int ?? 0) } }
        let resourceChart = SVGChart.lines(title: "\(kind.rawValue) during the search", x: steps, series: [
            .init(name: "hard (forward)", values: column("hard"), color: SVGChart.color(0)),
            .init(name: "soft (Σm)", values: column("soft"), color: SVGChart.color(2)),
            .init(name: "target", values: column("target"), color: SVGChart.color(3)),
        ], xLabel: "step", yLabel: kind.rawValue)
        let keptChart = SVGChart.lines(title: "kept elements per unit", x: steps, series: search.units.enumerated().map { i, u in
            .init(name: u.key.description, values: column("kept.\(u.key)"), color: SVGChart.color(i))
        }, xLabel: "step", yLabel: "kept")
        try resourceChart.write(to: outDir.appendingPathComponent("search.svg"), atomically: true, encoding: .utf8)
        try keptChart.write(to: outDir.appendingPathComponent("kept.svg"), atomically: true, encoding: .utf8)

        var md = "# DMS search report\n\n"
        md += "- pipeline **\(command.pipeline.rawValue)**, data \(dataName), device \(device)\n"
        md += "- base \(base.notes["name"] ?? "") (\(ResourceCount.human(value(base))) \(kind.rawValue)); supernet \(ResourceCount.human(Int(search.resourceModel.full))) "
        md += "(width ×\(settings.expandWidth), depth ×\(settings.expandDepth))\n"
        md += String(format: "- target %@ %@, achieved %@ (%+.1f%%)\n", ResourceCount.human(Int(target)), kind.rawValue, ResourceCount.human(Int(achieved)), deviation)
        md += "- search: \(settings.searchSteps) steps of \(settings.batchSize) images, \(ProgressBar.duration(timings["search"] ?? 0))\n\n"
        md += "| model | test accuracy | MACs | parameters | depths | search time | train time |\n|---|---|---|---|---|---|---|\n"
        func row(_ name: String, _ a: Architecture, _ r: PhaseResult, search: Double?) -> String {
            String(format: "| %@ | %.2f%% | %@ | %@ | %@ | %@ | %@ |\n", name, r.test.accuracy * 100, ResourceCount.human(a.resources.macs),
                   ResourceCount.human(a.resources.parameters), LayerWidths.depths(a), search.map { ProgressBar.duration($0) } ?? "–",
                   r.seconds > 0 ? ProgressBar.duration(r.seconds) : "–")
        }
        md += row("DMS (searched)", searched, searchedResult, search: timings["search"])
        if let (uniform, result) = baseline {
            md += row("uniform ×\(uniform.notes["width-multiplier"] ?? "?")", uniform, result, search: nil)
            let delta = (searchedResult.test.accuracy - result.test.accuracy) * 100
            md += String(format: "\nAt equal %@, DMS %@ the uniformly scaled base by %.2f points (%.2f%% vs %.2f%%), both trained %d epochs with the same recipe.\n",
                         kind.rawValue, delta >= 0 ? "beats" : "trails", abs(delta), searchedResult.test.accuracy * 100, result.test.accuracy * 100, settings.retrainEpochs)
        } else if command.pipeline == .pMinus {
            md += "\np- keeps the pretrained weights of the kept channels and does not retrain; no baseline is trained.\n"
        }
        md += "\n## Searched widths\n\n![widths](widths.svg)\n\n| layer | supernet | base | searched |\n|---|---|---|---|\n"
        // Blocks the depth units removed: their hidden widths are not part of the searched model.
        var droppedBlocks = Set<[Int]>()
        for unit in search.units {
            guard case .depth(let s) = unit.key, let blocks = search.space.depthBlocks[s] else { continue }
            let keptBlocks = Set(try search.keptIndices(unit).map { blocks[$0] })
            for block in blocks where !keptBlocks.contains(block) { droppedBlocks.insert([s, block]) }
        }
        for (i, key) in keys.enumerated() {
            var searchedWidth = "\(kept[key] ?? 0)"
            if case let .hidden(s, b) = key, droppedBlocks.contains([s, b]) { searchedWidth = "– (block removed)" }
            md += "| \(key) | \(search.space.size(of: key)) | \(Int(baseWidths[i])) | \(searchedWidth) |\n"
        }
        md += "\nDepths per stage: supernet \(LayerWidths.depths(search.network.architecture)), base \(LayerWidths.depths(base)), searched \(LayerWidths.depths(searched)).\n"
        md += "\n## The search\n\n![resource](search.svg)\n\n![kept](kept.svg)\n"
        try md.write(to: outDir.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)

        var json: [String: Any] = [
            "pipeline": command.pipeline.rawValue, "resource": kind.rawValue, "target": target, "achieved": achieved,
            "deviation_percent": deviation, "search_seconds": timings["search"] ?? 0,
            "searched": ["test_accuracy": searchedResult.test.accuracy, "macs": searched.resources.macs,
                         "parameters": searched.resources.parameters, "train_seconds": searchedResult.seconds],
        ]
        if let (uniform, result) = baseline {
            json["baseline"] = ["test_accuracy": result.test.accuracy, "macs": uniform.resources.macs,
                                "parameters": uniform.resources.parameters, "train_seconds": result.seconds]
        }
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            .write(to: outDir.appendingPathComponent("report.json"), options: .atomic)
        print(md)
        print("results in \(outDir.path)")
    }

    /// The base architecture's width for a unit of the (expanded) supernet; 0 where the base has no such block.
    func baseWidth(_ base: Architecture, _ key: UnitKey) -> Int {
        switch key {
        case .stem: return base.stemWidth
        case .stream(let s): return s < base.stages.count ? base.stages[s].width : 0
        case let .hidden(s, b): return s < base.stages.count && b < base.stages[s].blocks.count ? base.stages[s].blocks[b].hidden : 0
        case .head: return base.headWidth
        case .mlp(let i): return i < base.hidden.count ? base.hidden[i] : 0
        case .depth: return 0
        }
    }
}
