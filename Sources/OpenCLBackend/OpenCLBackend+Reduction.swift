import OpenCLRuntime
import TensorCore

// Sum and mean over any axis set (Kernels/reduce.cl).
//
// The input is viewed as alternating groups of kept and reduced axes (adjacent axes of the
// same kind coalesced, size-1 axes dropped). Each pass reduces one reduced group as
// x[outer, R, inner] → y[outer, inner]; a pass whose R is large runs two stages (partial sums
// over spans of R, then the partials), so every sum is Kahan within a work-item plus a tree
// or a second compensated stage — never one long serial float sum.
extension OpenCLBackend {
    public func sum(_ x: Tensor, axes: [Int]) throws -> Tensor {
        let (outShape, _) = try ReductionShapes.reduce("sum", shape: x.shape, axes: axes)
        return try reduceSum(x, axes: axes, outputShape: outShape, divisor: 1, op: "sum")
    }

    public func mean(_ x: Tensor, axes: [Int]) throws -> Tensor {
        let (outShape, reducedCount) = try ReductionShapes.reduce("mean", shape: x.shape, axes: axes)
        return try reduceSum(x, axes: axes, outputShape: outShape, divisor: Float(reducedCount), op: "mean")
    }

    /// `Σ_{axes} x / divisor` with shape `outputShape` (already validated by the caller).
    func reduceSum(_ x: Tensor, axes: [Int], outputShape: [Int], divisor: Float, op: String) throws -> Tensor {
        try requireIndexable(x.count, op)
        let result = try empty(outputShape)
        if result.count == 0 { return result }
        if x.count == 0 {  // empty reduced axes: Σ = 0, mean = 0/0
            try fill(result, with: 0 / divisor)
            return result
        }
        var dims = Self.coalescedReductionDims(shape: x.shape, axes: Set(axes))
        guard dims.contains(where: \.reduced) else {  // nothing (or only size-1 axes) reduced
            try copy(x, into: result)
            return result
        }
        var current = x
        while let p = dims.lastIndex(where: \.reduced) {
            let outer = dims[..<p].map(\.size).reduce(1, *)
            let inner = dims[(p + 1)...].map(\.size).reduce(1, *)
            let length = dims.remove(at: p).size
            let last = !dims.contains(where: \.reduced)
            let destination = last ? result : try empty([outer * inner])
            try reduceMiddleAxis(
                current, into: destination, outer: outer, length: length, inner: inner,
                divisor: last ? divisor : 1, op: op)
            current = destination
            dims = Self.mergeAdjacent(dims)
        }
        return result
    }

    /// `destination[o, i] = Σ_r source[o, r, i] / divisor` for `source: [outer, length, inner]`.
    func reduceMiddleAxis(
        _ source: Tensor, into destination: Tensor, outer: Int, length: Int, inner: Int,
        divisor: Float, op: String
    ) throws {
        let plan = launchPlan.reduction
        if inner == 1 && length >= plan.rowTreeMinimumLength {
            // Contiguous rows: a work-group per (row, span), then a work-group per row.
            let chunks = plan.rowChunks(rows: outer, length: length)
            let defines = ["WG": "\(plan.groupSize)"]
            func launchRows(_ input: Tensor, _ output: Tensor, rows: Int, length: Int, chunks: Int, divisor: Float) throws {
                let span = (length + chunks - 1) / chunks
                try launch(
                    "reduce.cl", "reduce_sum_rows_tree", defines: defines,
                    global: [rows * chunks * plan.groupSize], local: [plan.groupSize],
                    [
                        .buffer(buffer(input)), .buffer(buffer(output)), .index(length),
                        .index(chunks), .index(span), .float(divisor),
                    ])
            }
            if chunks == 1 {
                try launchRows(source, destination, rows: outer, length: length, chunks: 1, divisor: divisor)
            } else {
                let partial = try empty([outer * chunks])
                try launchRows(source, partial, rows: outer, length: length, chunks: chunks, divisor: 1)
                try launchRows(partial, destination, rows: outer, length: chunks, chunks: 1, divisor: divisor)
            }
        } else {
            // Strided (or short) reductions: a work-item per (outer, span, inner), then per (outer, inner).
            let chunks = plan.columnChunks(columns: outer * inner, length: length)
            func launchColumns(_ input: Tensor, _ output: Tensor, length: Int, chunks: Int, divisor: Float) throws {
                let span = (length + chunks - 1) / chunks
                let total = outer * chunks * inner
                try launch(
                    "reduce.cl", "reduce_sum_columns_kahan", global: [total],
                    [
                        .buffer(buffer(input)), .buffer(buffer(output)), .index(length),
                        .index(inner), .index(chunks), .index(span),
                        .float(divisor), .index(total),
                    ])
            }
            if chunks == 1 {
                try launchColumns(source, destination, length: length, chunks: 1, divisor: divisor)
            } else {
                let partial = try empty([outer * chunks * inner])
                try launchColumns(source, partial, length: length, chunks: chunks, divisor: 1)
                try launchColumns(partial, destination, length: chunks, chunks: 1, divisor: divisor)
            }
        }
    }

    /// The axes of `shape` as groups `(size, reduced)`: size-1 axes dropped, adjacent axes of
    /// the same kind merged, so kept and reduced groups alternate.
    static func coalescedReductionDims(shape: [Int], axes: Set<Int>) -> [(size: Int, reduced: Bool)] {
        mergeAdjacent(shape.indices.filter { shape[$0] != 1 }.map { (size: shape[$0], reduced: axes.contains($0)) })
    }

    static func mergeAdjacent(_ dims: [(size: Int, reduced: Bool)]) -> [(size: Int, reduced: Bool)] {
        var merged: [(size: Int, reduced: Bool)] = []
        for dim in dims {
            if let last = merged.last, last.reduced == dim.reduced {
                merged[merged.count - 1].size = last.size * dim.size
            } else {
                merged.append(dim)
            }
        }
        return merged
    }
}

/// Launch shapes of the reduction kernels for one device.
struct ReductionPlan {
    /// Local size of `reduce_sum_rows_tree` (its -D WG): wide groups sharing `__local` memory
    /// on GPUs; narrower on CPUs, where a group runs as a loop on one core.
    let groupSize: Int
    /// Shortest contiguous row worth a whole work-group; shorter rows use one work-item each.
    let rowTreeMinimumLength: Int
    /// Elements each work-item should accumulate before a row is split into spans.
    let itemsPerWorkItem = 16
    /// Work-groups wanted in flight for row reductions: rows are split into spans only until
    /// there are this many (a few per compute unit), so the second stage stays small.
    let targetRowGroups: Int
    /// Work-items wanted in flight for strided reductions, and the shortest span for each.
    let targetColumnItems: Int
    let minimumColumnSpan = 32

    init(tuning: DeviceTuning, maxWorkGroupSize: Int) {
        var size = min(tuning.usesLocalMemoryTiles ? 256 : 64, max(maxWorkGroupSize, 1))
        while size & (size - 1) != 0 { size &= size - 1 }  // a power of two for the tree
        groupSize = size
        rowTreeMinimumLength = 2 * size
        targetRowGroups = tuning.isCPU ? 64 : 1024
        targetColumnItems = tuning.isCPU ? 4096 : 65536
    }

    /// Spans per row: enough work-groups in flight, each work-item adding at least
    /// `itemsPerWorkItem` values (Kahan keeps long spans accurate).
    func rowChunks(rows: Int, length: Int) -> Int {
        let byLength = length / (groupSize * itemsPerWorkItem)
        let forParallelism = (targetRowGroups + rows - 1) / max(rows, 1)
        return max(1, min(byLength, forParallelism))
    }

    /// Spans per column so that enough work-items run, each over at least `minimumColumnSpan` values.
    func columnChunks(columns: Int, length: Int) -> Int {
        let forParallelism = (targetColumnItems + columns - 1) / max(columns, 1)
        let byLength = length / minimumColumnSpan
        return max(1, min(forParallelism, byLength))
    }
}
