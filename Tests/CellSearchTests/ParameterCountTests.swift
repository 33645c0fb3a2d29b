import CellSearch
import NN
import ReferenceBackend
import TensorCore
import Testing

/// The published sizes of the official networks, counted from our modules' parameters.
@Suite struct ParameterCountTests {
    let backend = ReferenceBackend()

    /// The DARTS search network (C = 16, 8 cells, 10 classes): 1,930,618 parameters (the official
    /// log, quark0/darts#16). BN is non-affine in the cells; α is not a network parameter.
    @Test func dartsSearchNetwork() throws {
        let network = try DARTSNetwork.supernet(CellNetworkSize(channels: 16, cells: 8, nodes: 4), backend: backend, seed: 1)
        #expect(network.parameterCount == 1_930_618)
        #expect(network.edgesPerCell == 14)
    }

    /// The DARTS_V2 evaluation network (C = 36, 20 cells, no auxiliary head): 3,349,342.
    @Test func dartsV2EvaluationNetwork() throws {
        let network = try DARTSNetwork.evaluation(
            CellNetworkSize(channels: 36, cells: 20, nodes: 4), genotype: .dartsV2, backend: backend, seed: 1)
        #expect(network.parameterCount == 3_349_342)
    }

    /// The auxiliary head adds ReLU/pool/conv1×1 (C_aux·128) + BN(128) + conv2×2 (128·768·4) + BN(768) + linear (768·10 + 10).
    @Test func auxiliaryHeadSize() throws {
        let size = CellNetworkSize(channels: 36, cells: 20, nodes: 4)
        let plain = try DARTSNetwork.evaluation(size, genotype: .dartsV2, backend: backend, seed: 1)
        let withHead = try DARTSNetwork.evaluation(size, genotype: .dartsV2, auxiliary: true, backend: backend, seed: 1)
        let auxWidth = 4 * 4 * 36  // the cell after the second reduction: 4 nodes × 4C
        #expect(withHead.parameterCount - plain.parameterCount == auxWidth * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * 10 + 10)
    }

    /// NAS-Bench-201's search network (C = 16, N = 5): hand count of AutoDL's TinyNetworkDarts.
    /// Stem 3·16·9 + 2·16; per cell 6 edges × (conv1×1 C² + C + conv3×3 9C² + C) (convs carry a bias
    /// where the BN is not affine); reduction blocks 9·Ci·Co + 2Co + 9Co² + 2Co + Ci·Co; last BN 2·64; linear 64·10 + 10.
    @Test func nb201SearchNetwork() throws {
        let network = try NB201Network(
            CellNetworkSize(channels: 16, cells: 5, nodes: 3), operations: Array(repeating: CellSpace.nb201.operations, count: 6),
            style: .search(.nb201), backend: backend, seed: 1)
        func cell(_ c: Int) -> Int { 6 * (c * c + c + 9 * c * c + c) }
        func reduction(_ ci: Int, _ co: Int) -> Int { 9 * ci * co + 2 * co + 9 * co * co + 2 * co + ci * co }
        let expected = 3 * 16 * 9 + 32 + 5 * (cell(16) + cell(32) + cell(64)) + reduction(16, 32) + reduction(32, 64) + 128 + 650
        #expect(network.parameterCount == expected)
    }
}
