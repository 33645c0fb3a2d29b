/// Multiply-accumulates and parameters of an architecture, counted analytically per layer:
/// conv `k_h·k_w·(C_in/groups)·C_out·H_out·W_out` MACs and `k_h·k_w·(C_in/groups)·C_out` weights;
/// batch norm `C·H·W` MACs (scale and shift) and `2C` parameters; linear `in·out` MACs and
/// `in·out + out` parameters (summed in `LayerPlan.resources`). Matches `Network.parameterCount` exactly.
public struct ResourceCount: Sendable, Equatable, CustomStringConvertible {
    public var macs: Int
    public var parameters: Int

    public init(macs: Int = 0, parameters: Int = 0) { self.macs = macs; self.parameters = parameters }

    public var description: String { "\(ResourceCount.human(macs)) MACs, \(ResourceCount.human(parameters)) parameters" }

    /// `1.23M`-style rendering.
    public static func human(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fK", v / 1e3) }
        return "\(value)"
    }
}

extension Architecture {
    /// MACs per image and parameter count, summed over the layers of its `LayerPlan`.
    public var resources: ResourceCount { LayerPlan(self).resources }
}
