import Foundation
import NN

/// One width unit of a searched supernet: its size in the supernet, the base and the result.
public struct WidthRow: Codable, Equatable, Sendable {
    public var unit: String
    public var supernet: Int
    /// The base architecture's width (0 where the base has no such block).
    public var base: Int
    /// The searched width; 0 when the unit's block was removed by a depth unit.
    public var searched: Int
    public var blockRemoved: Bool
}

/// The pictures of a search: searched widths per unit (`widths.svg`; a removed block's inner
/// width is drawn as no bar and labelled "removed"), the resource over the steps (`search.svg`)
/// and the kept count of every unit (`kept.svg`).
public enum SearchCharts {
    /// Every width unit of `search` at its current state.
    public static func widthRows(search: DMSSearch, base: Architecture) throws -> [WidthRow] {
        var removed = Set<[Int]>()
        for unit in search.units {
            guard case .depth(let s) = unit.key, let blocks = search.space.depthBlocks[s] else { continue }
            let kept = Set(try search.keptIndices(unit).map { blocks[$0] })
            for block in blocks where !kept.contains(block) { removed.insert([s, block]) }
        }
        return try search.units.filter { !$0.key.isDepth }.map { unit in
            var blockRemoved = false
            if case let .hidden(s, b) = unit.key { blockRemoved = removed.contains([s, b]) }
            return WidthRow(
                unit: unit.key.description, supernet: unit.size, base: baseWidth(base, unit.key),
                searched: blockRemoved ? 0 : try search.keptIndices(unit).count, blockRemoved: blockRemoved)
        }
    }

    /// The widths bar chart of `rows`.
    public static func widthsSVG(_ rows: [WidthRow], title: String) -> String {
        SVGChart.bars(
            title: title, labels: rows.map { $0.blockRemoved ? "\($0.unit) (removed)" : $0.unit },
            series: [
                .init(name: "supernet", values: rows.map { Double($0.supernet) }, color: "#BAB0AC"),
                .init(name: "base", values: rows.map { Double($0.base) }, color: SVGChart.color(0)),
                .init(name: "searched (DMS)", values: rows.map { Double($0.searched) }, color: SVGChart.color(1)),
            ], yLabel: "channels")
    }

    /// Writes `widths.svg`, `search.svg` and `kept.svg` into `folder`, from the search and its log.
    public static func write(search: DMSSearch, base: Architecture, log: URL, to folder: URL) throws {
        let kind = search.resourceModel.kind.rawValue
        try widthsSVG(try widthRows(search: search, base: base), title: "Searched widths per layer")
            .write(to: folder.appendingPathComponent("widths.svg"), atomically: true, encoding: .utf8)
        let rows =
            (try? String(contentsOf: log, encoding: .utf8))?
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? []
        func column(_ key: String) -> [Double] { rows.map { ($0[key] as? NSNumber)?.doubleValue ?? 0 } }
        let steps = column("step")
        try SVGChart.lines(
            title: "\(kind) during the search", x: steps,
            series: [
                .init(name: "hard (forward)", values: column("hard"), color: SVGChart.color(0)),
                .init(name: "soft (Σm)", values: column("soft"), color: SVGChart.color(2)),
                .init(name: "target", values: column("target"), color: SVGChart.color(3)),
            ], xLabel: "step", yLabel: kind
        ).write(to: folder.appendingPathComponent("search.svg"), atomically: true, encoding: .utf8)
        try SVGChart.lines(
            title: "kept elements per unit", x: steps,
            series: search.units.enumerated().map { i, u in
                .init(name: u.key.description, values: column("kept.\(u.key)"), color: SVGChart.color(i))
            }, xLabel: "step", yLabel: "kept"
        ).write(to: folder.appendingPathComponent("kept.svg"), atomically: true, encoding: .utf8)
    }

    /// The base architecture's width for a unit of the (expanded) supernet; 0 where the base has no such block.
    static func baseWidth(_ base: Architecture, _ key: UnitKey) -> Int {
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
