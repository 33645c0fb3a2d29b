import TensorCore

// Reductions over any set of axes: sum and mean.
extension ReferenceBackend {
    /// `y[kept index] = Σ_{reduced index} x[index]`, accumulated in Double and rounded once.
    /// The result keeps the other axes in order (`[]` when every axis is reduced).
    public func sum(_ x: Tensor, axes: [Int]) throws -> Tensor {
        let (outShape, _) = try ReductionShapes.reduce("sum", shape: x.shape, axes: axes)
        let totals = reducedSums(x, axes: axes, outputCount: outShape.reduce(1, *))
        return make(outShape, totals.map { Float($0) })
    }

    /// `y = sum(x, axes) / Π_{a ∈ axes} shape[a]` (the Double sum rounded to Float, then divided).
    public func mean(_ x: Tensor, axes: [Int]) throws -> Tensor {
        let (outShape, reducedCount) = try ReductionShapes.reduce("mean", shape: x.shape, axes: axes)
        let totals = reducedSums(x, axes: axes, outputCount: outShape.reduce(1, *))
        return make(outShape, totals.map { Float($0) / Float(reducedCount) })
    }

    /// Double sums of `x` over `axes`, one per element of the result (row-major over the kept axes).
    func reducedSums(_ x: Tensor, axes: [Int], outputCount: Int) -> [Double] {
        let xs = values(x)  // x: any shape, row-major
        let reduced = Set(axes)
        let keptAxes = x.shape.indices.filter { !reduced.contains($0) }
        let outStrides = contiguousStrides(keptAxes.map { x.shape[$0] })
        var totals = [Double](repeating: 0, count: outputCount)
        var index = [Int](repeating: 0, count: x.rank)  // multi-index of element `flat`
        for flat in 0..<x.count {
            var outFlat = 0
            for (k, axis) in keptAxes.enumerated() { outFlat += index[axis] * outStrides[k] }
            totals[outFlat] += Double(xs[flat])
            // Advance the multi-index in row-major order.
            var axis = x.rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < x.shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return totals
    }
}
