/// Axis validation shared by both backends' reductions, so the reference and the device
/// reject the same axes with the same `TensorError` message.
public enum ReductionShapes {
    /// Validates `axes` for a tensor of `shape` (strictly increasing, each in `0..<rank`) and
    /// returns the result shape (the kept axes in order; `[]` when every axis is reduced) and
    /// the number of elements summed into each result element.
    public static func reduce(_ opName: String, shape: [Int], axes: [Int]) throws -> (output: [Int], reducedCount: Int) {
        try require(shape.allSatisfy { $0 >= 0 }, "\(opName): negative dimension in input \(shape)")
        for axis in axes {
            try require(
                axis >= 0 && axis < shape.count,
                "\(opName): axis \(axis) is out of range for a rank-\(shape.count) input \(shape)")
        }
        try require(
            zip(axes, axes.dropFirst()).allSatisfy { $0 < $1 },
            "\(opName): axes must be sorted and distinct, got \(axes)")
        let reduced = Set(axes)
        let output = shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        let reducedCount = axes.map { shape[$0] }.reduce(1, *)
        return (output, reducedCount)
    }
}
