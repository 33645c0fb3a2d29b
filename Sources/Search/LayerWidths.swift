import NN

/// Per-layer widths and per-stage depths of an architecture, for reports and bar charts.
public enum LayerWidths {
    /// (label, width) for the stem, each block's inner width, each stage's width, and the head.
    public static func of(_ a: Architecture) -> [(String, Int)] {
        switch a.family {
        case .mlp:
            return a.hidden.enumerated().map { ("hidden\($0.offset)", $0.element) }
        case .resnet, .mobilenetv2:
            var rows: [(String, Int)] = [("stem", a.stemWidth)]
            for (s, stage) in a.stages.enumerated() {
                rows.append(("s\(s).width", stage.width))
                for (b, block) in stage.blocks.enumerated() { rows.append(("s\(s).b\(b).hidden", block.hidden)) }
            }
            if a.family == .mobilenetv2 { rows.append(("head", a.headWidth)) }
            return rows
        }
    }

    /// Widths of `a` aligned to the labels of `reference` (0 where a block was removed).
    public static func aligned(_ a: Architecture, to reference: Architecture) -> [Int] {
        let lookup = Dictionary(of(a), uniquingKeysWith: { x, _ in x })
        return of(reference).map { lookup[$0.0] ?? 0 }
    }

    /// "3-3-3"-style depths.
    public static func depths(_ a: Architecture) -> String {
        a.family == .mlp ? "\(a.hidden.count)" : a.stages.map { "\($0.blocks.count)" }.joined(separator: "-")
    }
}
