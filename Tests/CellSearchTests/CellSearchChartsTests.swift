import CellSearch
import Foundation
import Testing

@Suite struct CellSearchChartsTests {
    /// Edge names follow the official edge order of each space.
    @Test func edgeNamesFollowTheOfficialOrder() {
        #expect(CellSearch.edgeNames(space: .nb201, nodes: 3) == ["1←0", "2←0", "2←1", "3←0", "3←1", "3←2"])
        let darts = CellSearch.edgeNames(space: .darts, nodes: 4)
        #expect(darts.count == 14 && darts.prefix(5) == ["2←0", "2←1", "3←0", "3←1", "3←2"] && darts.last == "5←4")
    }

    /// One panel per edge and one line per (edge, operation); a weight of 1 is drawn at the top
    /// of its panel and 0 at the bottom, the last snapshot at the right edge.
    @Test func edgePanelsDrawEveryEdgeAndOperation() throws {
        let names = CellSearch.edgeNames(space: .nb201, nodes: 3), ops = CellSpace.nb201.operations.count
        let uniform = Array(repeating: Array(repeating: 1 / Double(ops), count: ops), count: names.count)
        let collapsed = (0..<names.count).map { e in (0..<ops).map { $0 == e % ops ? 1.0 : 0.0 } }
        let snapshots = [ArchitectureSnapshot(step: 0, weights: [uniform]), ArchitectureSnapshot(step: 10, weights: [collapsed])]
        let svg = CellSearchCharts.edgePanels(snapshots, space: .nb201, type: 0, edgeNames: names, title: "t & <x>", columns: 3)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == names.count * ops)
        #expect(svg.components(separatedBy: "stroke=\"#999\"").count - 1 == names.count)
        #expect(svg.contains("edge 3←2") && svg.contains("t &amp; &lt;x&gt;"))
        // Panel 0 sits at (40, 64), 240 × 120: op 0 goes from y = 64 + 120·0.8 = 160 to the top (64)
        // at x = 40 + 240 = 280; op 1 of edge 0 ends at the bottom (184).
        let lines = svg.components(separatedBy: "\n").filter { $0.hasPrefix("<polyline") }
        #expect(lines[0].contains("points=\"40.0,160.0 280.0,64.0\""), "\(lines[0])")
        #expect(lines[1].contains("points=\"40.0,160.0 280.0,184.0\""), "\(lines[1])")
        // Edge 4 (second row, second column) collapses onto operation 4.
        let x0 = 40.0 + 280.0, y0 = 64.0 + 164.0
        #expect(lines[4 * ops + 4].contains(String(format: "%.1f,%.1f", x0 + 240, y0)), "\(lines[4 * ops + 4])")
    }
}
