import Foundation

/// Minimal SVG charts for search reports: grouped bars and line series, no dependencies.
public enum SVGChart {
    public struct Series: Sendable {
        public let name: String
        public let values: [Double]
        public let color: String
        public init(name: String, values: [Double], color: String) { self.name = name; self.values = values; self.color = color }
    }

    static let palette = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B"]
    public static func color(_ i: Int) -> String { palette[i % palette.count] }

    /// `s` with `&`, `<` and `>` escaped for SVG text.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    /// Grouped vertical bars: one group per label, one bar per series.
    public static func bars(title: String, labels: [String], series: [Series], yLabel: String) -> String {
        let groupWidth = 14.0 * Double(series.count) + 10
        let left = 60.0, top = 40.0, plotH = 260.0
        let width = max(left + groupWidth * Double(labels.count) + 40, 560), height = top + plotH + 150
        let maxValue = max(series.flatMap(\.values).max() ?? 1, 1)
        var svg = header(width: width, height: height, title: title)
        svg += axis(left: left, top: top, plotH: plotH, plotW: groupWidth * Double(labels.count), maxValue: maxValue, yLabel: yLabel)
        for (g, label) in labels.enumerated() {
            let x0 = left + groupWidth * Double(g) + 5
            for (s, serie) in series.enumerated() where g < serie.values.count {
                let h = serie.values[g] / maxValue * plotH
                svg += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"%@\"><title>%@ %@: %.0f</title></rect>\n",
                    x0 + 14 * Double(s), top + plotH - h, h, serie.color, escape(label), escape(serie.name), serie.values[g])
            }
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" transform=\"rotate(60 %.1f %.1f)\">%@</text>\n",
                x0, top + plotH + 12, x0, top + plotH + 12, escape(label))
        }
        svg += legend(series, x: left + 10, y: 22)
        return svg + "</svg>\n"
    }

    /// Line series over a shared x axis (e.g. search steps).
    public static func lines(title: String, x: [Double], series: [Series], xLabel: String, yLabel: String) -> String {
        let left = 70.0, top = 40.0, plotW = 640.0, plotH = 300.0
        let width = left + plotW + 30, height = top + plotH + 60
        let maxValue = max(series.flatMap(\.values).max() ?? 1, 1e-9)
        let maxX = max(x.max() ?? 1, 1)
        var svg = header(width: width, height: height, title: title)
        svg += axis(left: left, top: top, plotH: plotH, plotW: plotW, maxValue: maxValue, yLabel: yLabel)
        for serie in series {
            let points = zip(x, serie.values).map {
                String(format: "%.1f,%.1f", left + $0 / maxX * plotW, top + plotH - $1 / maxValue * plotH)
            }
            svg += "<polyline fill=\"none\" stroke=\"\(serie.color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        svg += String(
            format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%@ (0 … %.0f)</text>\n",
            left + plotW / 2, top + plotH + 35, escape(xLabel), maxX)
        svg += legend(series, x: left + 10, y: 22)
        return svg + "</svg>\n"
    }

    /// The opening `<svg>` of a `width` × `height` figure: white background, bold centred title.
    public static func header(width: Double, height: Double, title: String) -> String {
        String(
            format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n", width, height)
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + String(
                format: "<text x=\"%.1f\" y=\"16\" font-size=\"14\" text-anchor=\"middle\" font-weight=\"bold\">%@</text>\n", width / 2,
                escape(title))
    }

    static func axis(left: Double, top: Double, plotH: Double, plotW: Double, maxValue: Double, yLabel: String) -> String {
        var svg = String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", left, top, left, top + plotH)
        svg += String(
            format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", left, top + plotH, left + plotW,
            top + plotH)
        for i in 0...4 {
            let v = maxValue * Double(i) / 4, y = top + plotH - plotH * Double(i) / 4
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>\n", left - 4, y + 3, compact(v))
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, left + plotW, y)
        }
        svg += String(
            format: "<text x=\"14\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">%@</text>\n",
            top + plotH / 2, top + plotH / 2, escape(yLabel))
        return svg
    }

    static func legend(_ series: [Series], x: Double, y: Double) -> String {
        var svg = "", offset = x
        for serie in series.prefix(12) {
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/>", offset, y, serie.color)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>\n", offset + 13, y + 9, escape(serie.name))
            offset += 20 + Double(serie.name.count) * 6
        }
        return svg
    }

    static func compact(_ v: Double) -> String {
        if v >= 1e9 { return String(format: "%.1fG", v / 1e9) }
        if v >= 1e6 { return String(format: "%.1fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fK", v / 1e3) }
        return v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.2f", v)
    }
}
