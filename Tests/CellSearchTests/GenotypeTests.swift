import CellSearch
import Foundation
import Testing

@Suite struct GenotypeTests {
    @Test func nb201TextRoundTrips() throws {
        let text = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
        let genotype = try NB201Genotype(text: text)
        #expect(genotype.operations == [.norConv3x3, .none, .skipConnect, .avgPool3x3, .norConv1x1, .norConv3x3])
        #expect(genotype.text == text)
        let json = try JSONEncoder().encode(Genotype.nb201(genotype))
        #expect(try JSONDecoder().decode(Genotype.self, from: json) == .nb201(genotype))
    }

    @Test(arguments: [
        "|nor_conv_3x3~0|+|none~0|",  // node 2 has one input
        "|nor_conv_3x3~1|",  // wrong input index
        "|sep_conv_3x3~0|",  // not an NB201 operation
        "nor_conv_3x3~0",  // no bars
        "|conv~0|",
    ])
    func nb201BadTextIsRefused(_ text: String) {
        #expect(throws: (any Error).self) { try NB201Genotype(text: text) }
    }

    /// Argmax per edge with none included; ties go to the first operation.
    @Test func nb201DerivationIsArgmaxPerEdge() throws {
        let alpha: [[Float]] = [
            [0.9, 0.1, 0.0, 0.0, 0.0],  // none wins
            [0.2, 0.2, 0.2, 0.2, 0.2],  // five-way tie: the first (none)
            [0.0, 0.3, 0.3, 0.1, 0.0],  // tie skip / 1×1: skip
            [0.0, 0.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 0.5, 0.0, 0.0],
            [0.1, 0.0, 0.0, 0.7, 0.0],
        ]
        let g = try NB201Genotype.derive(from: alpha)
        #expect(g.text == "|none~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|")
    }

    /// DARTS: per node the two edges with the largest non-none weight (earlier edge on ties), each
    /// with its best non-none operation (first on ties); none is never chosen even when largest.
    @Test func dartsDerivationExcludesNoneAndKeepsTwoEdges() throws {
        func row(_ best: Int, _ value: Float, none: Float = 0) -> [Float] {
            var r = [Float](repeating: 0.01, count: 8)
            r[0] = none
            r[best] = value
            return r
        }
        // node 0: edges 0, 1; node 1: 2, 3, 4; node 2: 5…8; node 3: 9…13.
        let normal: [[Float]] = [
            row(4, 0.5, none: 0.9), row(3, 0.4),  // node 0: both kept; edge 0 sep_conv_3x3 despite none 0.9
            row(5, 0.3), row(6, 0.3), row(7, 0.6),  // node 1: edge 4 then the tie 2 vs 3 → input 0
            row(1, 0.2), row(2, 0.2), row(2, 0.2), row(1, 0.25),  // node 2: input 3 (0.25), then input 0 (a 3-way tie: the earliest)
            [0, 0.3, 0.3, 0.01, 0.01, 0.01, 0.01, 0.01], row(4, 0.1), row(4, 0.1), row(4, 0.1), row(5, 0.2),  // node 3
        ]
        let reduce = (0..<14).map { row(1 + $0 % 7, 0.1 + Float($0) / 100) }
        let g = try DARTSGenotype.derive(normal: normal, reduce: reduce)
        #expect(
            g.normal.map(\.operation) == [
                .sepConv3x3, .skipConnect, .dilConv5x5, .sepConv5x5, .maxPool3x3, .maxPool3x3, .maxPool3x3, .sepConv5x5,
            ])
        #expect(g.normal.map(\.input) == [0, 1, 2, 0, 3, 0, 0, 4])
        #expect(g.normalConcat == [2, 3, 4, 5])
        #expect(g.reduce.allSatisfy { $0.operation != .none })
        let json = try JSONEncoder().encode(Genotype.darts(g))
        #expect(try JSONDecoder().decode(Genotype.self, from: json) == .darts(g))
    }

    @Test func dartsGenotypeRefusesBadEdges() {
        #expect(throws: (any Error).self) {
            try DARTSGenotype(
                normal: [.init(.none, 0), .init(.skipConnect, 1)], normalConcat: [2],
                reduce: [.init(.skipConnect, 0), .init(.skipConnect, 1)], reduceConcat: [2])
        }
        #expect(throws: (any Error).self) {
            try DARTSGenotype(
                normal: [.init(.skipConnect, 2), .init(.skipConnect, 1)], normalConcat: [2],
                reduce: [.init(.skipConnect, 0), .init(.skipConnect, 1)], reduceConcat: [2])
        }
    }
}
