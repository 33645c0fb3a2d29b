import Foundation

/// The confusion matrix as a stand-alone SVG heat map: row t, column p holds the images of true
/// class t predicted as p, shaded by the row's fraction (so rare and common classes read alike),
/// with the count in each cell and the per-class accuracy at the end of each row.
public enum ConfusionMatrixSVG {
    public static func render(_ confusion: [[Int]], classNames: [String] = [], title: String = "confusion matrix") -> String {
        let n = confusion.count
        let names = classNames.count == n ? classNames : (0..<n).map(String.init)
        let cell = 36, left = 120, top = 60, right = 90
        let width = left + n * cell + right, height = top + n * cell + 50
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
                of: ">", with: "&gt;")
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="11">
            <text x="\(left)" y="18" font-size="14">\(escape(title))</text>
            <text x="\(left + n * cell / 2)" y="\(top - 30)" text-anchor="middle">predicted</text>
            <text x="14" y="\(top + n * cell / 2)" transform="rotate(-90 14 \(top + n * cell / 2))" text-anchor="middle">true</text>

            """
        for (p, name) in names.enumerated() {
            svg +=
                "<text x=\"\(left + p * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(escape(String(name.prefix(5))))</text>\n"
        }
        for (t, row) in confusion.enumerated() {
            let total = row.reduce(0, +)
            let y = top + t * cell
            svg += "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\">\(escape(String(names[t].prefix(16))))</text>\n"
            for (p, count) in row.enumerated() {
                let fraction = total > 0 ? Double(count) / Double(total) : 0
                // White to dark blue by the row fraction; light text on dark cells.
                let shade = { (c: Double) in Int((255 - (255 - c) * fraction).rounded()) }
                let fill = String(format: "#%02x%02x%02x", shade(31), shade(78), shade(160))
                let x = left + p * cell
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\" stroke=\"#ddd\"/>"
                svg +=
                    "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" fill=\"\(fraction > 0.5 ? "#fff" : "#222")\">\(count)</text>\n"
            }
            let accuracy = total > 0 ? String(format: "%.1f%%", 100 * Double(row[t]) / Double(total)) : "–"
            svg += "<text x=\"\(left + n * cell + 8)\" y=\"\(y + cell / 2 + 4)\">\(accuracy)</text>\n"
        }
        return svg + "</svg>\n"
    }
}
