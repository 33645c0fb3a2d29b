import Foundation
import Search

/// The SVG figures of a cell search: α over the search, the final weights per edge, the cells.
public enum CellSearchCharts {
    static func escape(_ s: String) -> String { SVGChart.escape(s) }

    /// Each operation's weight averaged over the edges of cell type `type`, at every snapshot.
    public static func alphaLines(_ snapshots: [ArchitectureSnapshot], space: CellSpace, type: Int, title: String) -> String {
        let ops = space.operations
        let series = ops.enumerated().map { k, op in
            SVGChart.Series(
                name: op.rawValue,
                values: snapshots.map { s in s.weights[type].map { $0[k] }.reduce(0, +) / Double(max(s.weights[type].count, 1)) },
                color: SVGChart.color(k))
        }
        return SVGChart.lines(
            title: title, x: snapshots.map { Double($0.step) }, series: series, xLabel: "search step", yLabel: "mean weight over edges")
    }

    /// One small panel per edge of cell type `type`: each operation's weight (0 … 1) over the
    /// search, so a collapse onto one operation shows edge by edge; panels in rows of `columns`,
    /// one legend for all.
    public static func edgePanels(
        _ snapshots: [ArchitectureSnapshot], space: CellSpace, type: Int, edgeNames: [String], title: String, columns: Int = 3
    ) -> String {
        let ops = space.operations
        let panelW = 240.0, panelH = 120.0, gapX = 40.0, gapY = 44.0, left = 40.0, top = 64.0
        let rows = (edgeNames.count + columns - 1) / max(columns, 1)
        let width = left + Double(columns) * (panelW + gapX), height = top + Double(rows) * (panelH + gapY)
        let maxStep = Double(max(snapshots.last?.step ?? 1, 1))
        var svg = SVGChart.header(width: width, height: height, title: title)
        var offset = left
        for (k, op) in ops.enumerated() {
            svg += String(format: "<rect x=\"%.1f\" y=\"30\" width=\"10\" height=\"10\" fill=\"%@\"/>", offset, SVGChart.color(k))
            svg += String(format: "<text x=\"%.1f\" y=\"39\" font-size=\"10\">%@</text>\n", offset + 13, escape(op.rawValue))
            offset += 20 + Double(op.rawValue.count) * 6
        }
        for (e, name) in edgeNames.enumerated() {
            let x0 = left + Double(e % columns) * (panelW + gapX), y0 = top + Double(e / columns) * (panelH + gapY)
            svg += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n", x0, y0, panelW,
                panelH)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">edge %@</text>\n", x0, y0 - 5, escape(name))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">1</text>\n", x0 - 3, y0 + 8)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">0</text>\n", x0 - 3, y0 + panelH)
            for k in ops.indices {
                let points = snapshots.map { s in
                    String(
                        format: "%.1f,%.1f", x0 + Double(s.step) / maxStep * panelW,
                        y0 + panelH * (1 - min(max(s.weights[type][e][k], 0), 1)))
                }
                svg +=
                    "<polyline fill=\"none\" stroke=\"\(SVGChart.color(k))\" stroke-width=\"1.2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// A heat map of `weights[edge][op]` (rows: edges, columns: operations), darker = larger.
    public static func heatMap(_ weights: [[Double]], space: CellSpace, edgeNames: [String], title: String) -> String {
        let ops = space.operations
        let cellW = 78.0, cellH = 22.0, left = 90.0, top = 70.0
        let width = left + cellW * Double(ops.count) + 20, height = top + cellH * Double(weights.count) + 20
        let maximum = max(weights.flatMap { $0 }.max() ?? 1, 1e-12)
        var svg = SVGChart.header(width: width, height: height, title: title)
        for (k, op) in ops.enumerated() {
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%@</text>\n", left + cellW * (Double(k) + 0.5),
                top - 8,
                escape(op.rawValue))
        }
        for (e, row) in weights.enumerated() {
            let y = top + cellH * Double(e)
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>\n", left - 6, y + 15,
                escape(edgeNames[e]))
            for (k, value) in row.enumerated() {
                let shade = Int(255 - 200 * value / maximum)
                svg += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,255)\" stroke=\"white\"/>",
                    left + cellW * Double(k), y,
                    cellW, cellH, shade, shade)
                svg += String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%.3f</text>\n",
                    left + cellW * (Double(k) + 0.5), y + 15, value)
            }
        }
        return svg + "</svg>\n"
    }

    /// The derived cell as a graph: states in a row (inputs, nodes, output), one labelled arc per edge.
    public static func cellGraph(_ genotype: Genotype, title: String) -> String {
        var cells: [(name: String, states: [String], edges: [(from: Int, to: Int, op: String)])] = []
        switch genotype {
        case .nb201(let g):
            var edges: [(Int, Int, String)] = []
            var e = 0
            for node in 1...g.nodes { for j in 0..<node { edges.append((j, node, g.operations[e].rawValue)); e += 1 } }
            cells.append(("cell", (0...g.nodes).map { $0 == 0 ? "input" : $0 == g.nodes ? "node \($0) (out)" : "node \($0)" }, edges))
        case .darts(let g):
            for (name, list) in [("normal", g.normal), ("reduce", g.reduce)] {
                let nodes = list.count / 2
                let edges = list.enumerated().map { (from: $0.element.input, to: 2 + $0.offset / 2, op: $0.element.operation.rawValue) }
                cells.append((name, ["c_{k-2}", "c_{k-1}"] + (0..<nodes).map { "node \($0)" }, edges))
            }
        }
        let stepX = 150.0, rowH = 230.0, left = 60.0
        let width = left * 2 + stepX * Double((cells.map(\.states.count).max() ?? 2) - 1), height = 40 + rowH * Double(cells.count)
        var svg = SVGChart.header(width: width, height: height, title: title)
        for (r, cell) in cells.enumerated() {
            let baseY = 40 + rowH * Double(r) + rowH - 50
            svg += String(
                format: "<text x=\"10\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">%@</text>\n", baseY - rowH + 70, escape(cell.name))
            for (k, edge) in cell.edges.enumerated() {
                let x1 = left + stepX * Double(edge.from), x2 = left + stepX * Double(edge.to)
                let lift = 25 + 22 * Double(edge.to - edge.from) + 8 * Double(k % 2)
                let color = SVGChart.color(CellSpace.darts.operations.firstIndex(where: { $0.rawValue == edge.op }) ?? k)
                svg += String(
                    format: "<path d=\"M %.1f %.1f Q %.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%@\" stroke-width=\"2\"/>\n", x1, baseY,
                    (x1 + x2) / 2,
                    baseY - 2 * lift, x2, baseY, color)
                svg += String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"%@\">%@</text>\n", (x1 + x2) / 2,
                    baseY - lift - 3,
                    color, escape(edge.op))
            }
            for (k, state) in cell.states.enumerated() {
                let x = left + stepX * Double(k)
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"16\" fill=\"#eef\" stroke=\"black\"/>", x, baseY)
                svg += String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%@</text>\n", x, baseY + 32, escape(state))
            }
        }
        return svg + "</svg>\n"
    }
}
