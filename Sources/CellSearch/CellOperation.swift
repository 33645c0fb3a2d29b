import NN
import TensorCore

/// The candidate operations of a cell edge, named as in the official code (the raw values are
/// the names genotypes use).
public enum CellOperation: String, CaseIterable, Sendable, Codable {
    case none
    case skipConnect = "skip_connect"
    case norConv1x1 = "nor_conv_1x1"
    case norConv3x3 = "nor_conv_3x3"
    case avgPool3x3 = "avg_pool_3x3"
    case maxPool3x3 = "max_pool_3x3"
    case sepConv3x3 = "sep_conv_3x3"
    case sepConv5x5 = "sep_conv_5x5"
    case dilConv3x3 = "dil_conv_3x3"
    case dilConv5x5 = "dil_conv_5x5"

    /// Whether the operation has no parameters (the ones DARTS collapses toward).
    public var isParameterFree: Bool { [.none, .skipConnect, .avgPool3x3, .maxPool3x3].contains(self) }
}

/// A cell search space: its candidate operations in the official α-column order.
public enum CellSpace: String, CaseIterable, Sendable, Codable {
    /// NAS-Bench-201: 4 nodes, 6 edges, 5 operations (AutoDL-Projects).
    case nb201
    /// DARTS CNN: 4 intermediate nodes over two inputs, 14 edges, 8 operations (quark0/darts).
    case darts

    public var operations: [CellOperation] {
        switch self {
        case .nb201: [.none, .skipConnect, .norConv1x1, .norConv3x3, .avgPool3x3]
        case .darts: [.none, .maxPool3x3, .avgPool3x3, .skipConnect, .sepConv3x3, .sepConv5x5, .dilConv3x3, .dilConv5x5]
        }
    }
}

/// How an operation's modules are built: the search network normalizes without affine
/// parameters (NAS-Bench-201's search cells also without running statistics), the evaluation
/// network with them.
public struct OperationStyle: Sendable, Equatable {
    public var space: CellSpace
    public var affine: Bool
    public var trackRunningStatistics: Bool

    public static func search(_ space: CellSpace) -> OperationStyle {
        OperationStyle(space: space, affine: false, trackRunningStatistics: space == .darts)
    }
    public static func evaluation(_ space: CellSpace) -> OperationStyle {
        OperationStyle(space: space, affine: true, trackRunningStatistics: true)
    }
}

extension CellOperation {
    /// The module of this operation from `channelsIn` to `channelsOut` channels at `stride`.
    ///
    /// NAS-Bench-201 (AutoDL `cell_operations.py`): `nor_conv_k` is ReLU → conv k×k (bias exactly
    /// when the BN is not affine) → BN; `avg_pool_3x3` is a bare 3×3 average (padding excluded)
    /// when the widths agree. DARTS (`operations.py`): no conv biases; `sep_conv_k` is twice ReLU →
    /// depthwise k×k → 1×1 → BN (stride on the first); `dil_conv_k` once, dilation 2; pools are
    /// followed by a non-affine BN in the search network only; `skip_connect` at stride 2 is
    /// FactorizedReduce.
    public func module(
        _ channelsIn: Int, _ channelsOut: Int, stride: Int, style: OperationStyle, name: String, backend: any Backend,
        rng: inout SeededRandom
    ) throws -> any Layer {
        let (affine, track) = (style.affine, style.trackRunningStatistics)
        let bias = style.space == .nb201 && !affine
        switch self {
        case .none:
            return ZeroOperation(stride: stride, channelsOut: channelsOut)
        case .skipConnect:
            if stride == 1 && channelsIn == channelsOut { return IdentityOperation() }
            return try FactorizedReduce(channelsIn, channelsOut, affine: affine, track: track, name: name, backend: backend, rng: &rng)
        case .norConv1x1, .norConv3x3:
            let k = self == .norConv1x1 ? 1 : 3
            return try ReLUConvBN(
                channelsIn, channelsOut, kernelSize: k, stride: stride, padding: (k - 1) / 2, bias: bias, affine: affine, track: track,
                name: name, backend: backend, rng: &rng)
        case .avgPool3x3, .maxPool3x3:
            try require(channelsIn == channelsOut, "\(name): a pooling edge needs equal widths, got \(channelsIn) → \(channelsOut)")
            let normalize = style.space == .darts && !affine
            return try CellPooling(
                max: self == .maxPool3x3, stride: stride, normalizedChannels: normalize ? channelsOut : nil, name: name, backend: backend)
        case .sepConv3x3, .sepConv5x5:
            let k = self == .sepConv3x3 ? 3 : 5
            return try DARTSConvolutions.separable(
                channelsIn, channelsOut, kernelSize: k, stride: stride, affine: affine, track: track, name: name, backend: backend,
                rng: &rng)
        case .dilConv3x3, .dilConv5x5:
            let k = self == .dilConv3x3 ? 3 : 5
            return try DARTSConvolutions.dilated(
                channelsIn, channelsOut, kernelSize: k, stride: stride, affine: affine, track: track, name: name, backend: backend,
                rng: &rng)
        }
    }
}

/// A batch norm with or without affine parameters.
func makeNorm(_ channels: Int, affine: Bool, track: Bool, name: String, backend: any Backend) throws -> any Layer {
    affine
        ? try BatchNorm2d(channels, name: name, backend: backend)
        : try NonAffineBatchNorm2d(channels, trackRunningStatistics: track, name: name, backend: backend)
}
