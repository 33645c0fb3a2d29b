import TensorCore
/// One matrix multiply of the GEMM suite: `C[b] = op(A[b])·op(B[b])` with op(A) `[m, k]`,
/// op(B) `[k, n]`, C `[m, n]`, for `b` in `0..<batch`. A shared operand is one rank-2 matrix
/// used by every batch item (the weights of a convolution's per-image GEMMs).
public struct GemmProblem: Sendable, Hashable, CustomStringConvertible {
    public var m: Int, n: Int, k: Int
    public var batch: Int
    public var transposeA: Bool, transposeB: Bool
    public var sharedA: Bool, sharedB: Bool

    public init(
        m: Int, n: Int, k: Int, batch: Int = 1, transposeA: Bool = false, transposeB: Bool = false,
        sharedA: Bool = false, sharedB: Bool = false
    ) {
        self.m = m; self.n = n; self.k = k; self.batch = batch
        self.transposeA = transposeA; self.transposeB = transposeB
        self.sharedA = sharedA; self.sharedB = sharedB
    }

    /// `2·m·n·k·batch`: one multiply and one add per term.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batch) }
    public var multiplyAdds: Int { m * n * k * batch }

    /// "NN", "NT", "TN" or "TT": whether op(A), op(B) read the stored matrix transposed.
    public var layout: String { (transposeA ? "T" : "N") + (transposeB ? "T" : "N") }

    /// Stored shapes: A is `[m, k]` (`[k, m]` when transposed), B `[k, n]` (`[n, k]`), each with a
    /// leading batch dimension unless shared or `batch == 1`; C is `[m, n]` or `[batch, m, n]`.
    public var aShape: [Int] { (batch > 1 && !sharedA ? [batch] : []) + (transposeA ? [k, m] : [m, k]) }
    public var bShape: [Int] { (batch > 1 && !sharedB ? [batch] : []) + (transposeB ? [n, k] : [k, n]) }
    public var cShape: [Int] { (batch > 1 ? [batch] : []) + [m, n] }

    public var description: String {
        "\(m)×\(n)×\(k)" + (batch > 1 ? " ×\(batch)" : "")
    }
}

/// One convolution of the conv suite (NCHW, square kernel, weight `[C_out, C_in/groups, k, k]`).
public struct ConvProblem: Sendable, Hashable, CustomStringConvertible {
    /// Which of the three computations of a convolution layer.
    public enum Pass: String, Sendable, Hashable, CaseIterable {
        case forward = "forward"
        case gradInput = "grad-input"
        case gradWeight = "grad-weight"
    }

    public var batch: Int
    public var inChannels: Int, height: Int, width: Int
    public var outChannels: Int
    public var kernel: Int, stride: Int, padding: Int, dilation: Int, groups: Int

    public init(
        batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
        kernel: Int = 3, stride: Int = 1, padding: Int = 1, dilation: Int = 1, groups: Int = 1
    ) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernel = kernel; self.stride = stride; self.padding = padding
        self.dilation = dilation; self.groups = groups
    }

    /// The window's extent on the input: `dilation·(kernel − 1) + 1`.
    public var span: Int { dilation * (kernel - 1) + 1 }
    public var outHeight: Int { (height + 2 * padding - span) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - span) / stride + 1 }
    /// The convolution's parameters for the backends.
    public var params: Conv2dParams { Conv2dParams(stride: stride, padding: padding, dilation: dilation, groups: groups) }
    public var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }

    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels / groups, kernel, kernel] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Multiply-adds of each pass (the same for forward, grad-input and grad-weight: each
    /// visits every (output element, kernel tap, input channel of the group) triple once):
    /// `N·C_out·H_out·W_out·(C_in/groups)·k²`.
    public var multiplyAdds: Int { batch * outChannels * outHeight * outWidth * (inChannels / groups) * kernel * kernel }
    /// `2·multiplyAdds`.
    public var flops: Double { 2 * Double(multiplyAdds) }

    /// e.g. "16×32×32→32 s2 k3 ×128" or "dw 144×16×16 k5 d2 ×128".
    public var description: String {
        let core = isDepthwise ? "dw \(inChannels)×\(height)×\(width)" : "\(inChannels)×\(height)×\(width)→\(outChannels)"
        return core + (stride > 1 ? " s\(stride)" : "") + " k\(kernel)" + (dilation > 1 ? " d\(dilation)" : "") + " ×\(batch)"
    }
}
