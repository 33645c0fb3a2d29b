/// Soft masks a search applies during the forward pass (see DMS): one mask `[C]` per width
/// unit and one mask `[blocks]` per depth unit. A network without masks runs unmasked.
///
/// - `stream[s]`: the residual-stream channels of stage `s` (shared by every block output of the
///   stage, and by the stem output when stage 0 starts with an identity block).
/// - `hidden[s][b]`: the inner width of block `b` of stage `s`.
/// - `stem`: the stem's output channels when they are not part of stage 0's stream (stage 0
///   starts with a projection block).
/// - `depth[s][b]`: `(mask, index)`: element `index` of `mask` scales the residual branch of
///   block `b` of stage `s`: `x + f(x)·m`. Only blocks with an identity shortcut can be gated.
/// - `mlpHidden[i]`: hidden layer `i` of an MLP; `head`: the mobilenetv2 head convolution.
///
/// Stream masks act once, where the stream is read. `streamAfterEveryBlock` restores the earlier
/// rule for an ablation: the stem output and every block output are scaled by their stream's
/// mask, so the identity path through k blocks carries `m^(k+1)`.
public struct NetworkMasks {
    public var streamAfterEveryBlock = false
    public var stream: [Int: Variable] = [:]
    public var hidden: [Int: [Int: Variable]] = [:]
    public var depth: [Int: [Int: (mask: Variable, index: Int)]] = [:]
    public var stem: Variable?
    public var mlpHidden: [Int: Variable] = [:]
    public var head: Variable?

    public init() {}
}
