/// Soft masks a search applies during the forward pass (see DMS): one mask `[C]` per width
/// unit and one mask `[blocks]` per depth unit. A network without masks runs unmasked.
///
/// - `stream[s]`: the residual-stream channels of stage `s` (shared by every block output of the
///   stage, and by the stem output when stage 0 starts with an identity block).
/// - `hidden[s][b]`: the inner width of block `b` of stage `s`.
/// - `depth[s]`: element `b` scales the residual branch of block `b`: `x + f(x)·m_b`.
/// - `mlpHidden[i]`: hidden layer `i` of an MLP; `head`: the mobilenetv2 head convolution.
public struct NetworkMasks {
    public var stream: [Int: Variable] = [:]
    public var hidden: [Int: [Int: Variable]] = [:]
    public var depth: [Int: Variable] = [:]
    public var mlpHidden: [Int: Variable] = [:]
    public var head: Variable?

    public init() {}
}
