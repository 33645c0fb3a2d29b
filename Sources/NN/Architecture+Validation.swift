extension Architecture {
    /// Spatial size after each stage (and the stem), checking no stride shrinks the image below 1×1.
    public func validate() throws {
        guard classes >= 2 else { throw ArchitectureError(field: "classes", problem: "must be ≥ 2, got \(classes)") }
        switch family {
        case .mlp:
            for (i, w) in hidden.enumerated() where w < 1 {
                throw ArchitectureError(field: "hidden[\(i)]", problem: "must be ≥ 1, got \(w)")
            }
        case .resnet, .mobilenetv2:
            guard stemWidth >= 1 else { throw ArchitectureError(field: "stem.width", problem: "must be ≥ 1, got \(stemWidth)") }
            var (h, w) = (
                Self.convOut(input.height, kernel: 3, stride: stemStride, padding: 1),
                Self.convOut(input.width, kernel: 3, stride: stemStride, padding: 1)
            )
            guard h >= 1 && w >= 1 else {
                throw ArchitectureError(
                    field: "stem.stride", problem: "stride \(stemStride) leaves no pixels of the \(input.height)×\(input.width) input")
            }
            guard !stages.isEmpty else { throw ArchitectureError(field: "stages", problem: "at least one stage is required") }
            for (s, stage) in stages.enumerated() {
                guard stage.width >= 1 else {
                    throw ArchitectureError(field: "stages[\(s)].width", problem: "must be ≥ 1, got \(stage.width)")
                }
                guard stage.stride >= 1 && stage.stride <= 4 else {
                    throw ArchitectureError(field: "stages[\(s)].stride", problem: "must be 1 to 4, got \(stage.stride)")
                }
                guard !stage.blocks.isEmpty else {
                    throw ArchitectureError(field: "stages[\(s)].blocks", problem: "a stage keeps at least one block")
                }
                for (b, block) in stage.blocks.enumerated() where block.hidden < 1 {
                    throw ArchitectureError(field: "stages[\(s)].blocks[\(b)].hidden", problem: "must be ≥ 1, got \(block.hidden)")
                }
                guard stage.stride == 1 || h > 1 || w > 1 else {
                    throw ArchitectureError(
                        field: "stages[\(s)].stride",
                        problem:
                            "the image is already 1×1 before this stage; stride \(stage.stride) is inconsistent with the \(input.height)×\(input.width) input"
                    )
                }
                h = Self.convOut(h, kernel: 3, stride: stage.stride, padding: 1)
                w = Self.convOut(w, kernel: 3, stride: stage.stride, padding: 1)
                guard h >= 1 && w >= 1 else {
                    throw ArchitectureError(
                        field: "stages[\(s)].stride",
                        problem: "stride \(stage.stride) leaves no pixels of the \(input.height)×\(input.width) input")
                }
            }
            if family == .mobilenetv2 && headWidth < 1 {
                throw ArchitectureError(field: "head.width", problem: "must be ≥ 1, got \(headWidth)")
            }
        }
    }

    static func convOut(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        let span = size + 2 * padding - kernel
        return span < 0 ? 0 : span / stride + 1
    }
}
