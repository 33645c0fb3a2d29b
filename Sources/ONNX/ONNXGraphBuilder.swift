import Foundation
import NN
import TensorCore

/// One ONNX node attribute.
enum ONNXAttribute {
    case int(String, Int)
    case ints(String, [Int])
    case float(String, Float)

    var proto: Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        switch self {
        case let .int(name, v): a.name = name; a.type = .int; a.i = Int64(v)
        case let .ints(name, v): a.name = name; a.type = .ints; a.ints = v.map(Int64.init)
        case let .float(name, v): a.name = name; a.type = .float; a.f = v
        }
        return a
    }
}

/// Builds the graph of `ONNXExport` from planned layers: initializers from the network's state
/// (checked against the plan's shapes) and nodes in order, each output named after its node.
struct GraphBuilder {
    let state: [String: ([Int], [Float])]
    var graph = Onnx_GraphProto()
    /// Batch norm ε of `BatchNorm2d`.
    static let epsilon: Float = 1e-5

    init(state: [String: ([Int], [Float])]) { self.state = state }

    mutating func constant(_ name: String, shape: [Int], values: [Float]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian float32, as ONNX stores raw data
        graph.initializer.append(t)
    }

    /// The network tensor `name` as an initializer of the expected shape.
    mutating func weight(_ name: String, shape: [Int]) throws -> String {
        guard let (stored, values) = state[name] else { throw LayerPlanError("onnx export: the network has no tensor \(name)") }
        try require(stored == shape, "onnx export: \(name) is \(stored), the layer plan expects \(shape)")
        constant(name, shape: shape, values: values)
        return name
    }

    /// Appends a node; its single output is named `name`.
    mutating func node(_ op: String, _ inputs: [String], name: String, attributes: [ONNXAttribute] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = [name]
        n.attribute = attributes.map(\.proto)
        graph.node.append(n)
        return name
    }

    /// Renames the output `old` of the last node producing it (the graph output gets its public name).
    mutating func rename(_ old: String, to new: String) {
        guard let i = graph.node.lastIndex(where: { $0.output == [old] }) else { return }
        graph.node[i].output = [new]
    }

    mutating func conv(_ layer: PlannedLayer, _ x: String) throws -> String {
        guard case let .conv(k, stride, depthwise) = layer.operation else {
            throw LayerPlanError("onnx export: \(layer.name) is not a convolution")
        }
        let shape = layer.parameterShapes[0].shape
        let w = try weight("\(layer.name).weight", shape: shape)
        let pad = k / 2
        return node(
            "Conv", [x, w], name: layer.name,
            attributes: [
                .ints("kernel_shape", [k, k]), .ints("strides", [stride, stride]), .ints("pads", [pad, pad, pad, pad]),
                .ints("dilations", [1, 1]), .int("group", depthwise ? layer.inChannels : 1),
            ])
    }

    /// Inference-mode batch norm with the running statistics.
    mutating func batchNorm(_ layer: PlannedLayer, _ x: String) throws -> String {
        guard layer.operation == .batchNorm else { throw LayerPlanError("onnx export: \(layer.name) is not a batch norm") }
        let c = [layer.outChannels]
        let inputs = try [x] + ["weight", "bias", "running_mean", "running_var"].map { try weight("\(layer.name).\($0)", shape: c) }
        return node("BatchNormalization", inputs, name: layer.name, attributes: [.float("epsilon", Self.epsilon)])
    }

    mutating func linear(_ layer: PlannedLayer, _ x: String) throws -> String {
        guard layer.operation == .linear else { throw LayerPlanError("onnx export: \(layer.name) is not a linear layer") }
        let w = try weight("\(layer.name).weight", shape: [layer.outChannels, layer.inChannels])
        let b = try weight("\(layer.name).bias", shape: [layer.outChannels])
        return node("Gemm", [x, w, b], name: layer.name, attributes: [.int("transB", 1)])
    }

    mutating func convNormRelu(_ conv: PlannedLayer, _ norm: PlannedLayer, _ x: String) throws -> String {
        node("Relu", [try batchNorm(norm, try self.conv(conv, x))], name: "\(norm.name).relu")
    }

    /// One residual block, as `ResidualBlock.forward` computes it in inference.
    mutating func block(_ block: PlannedBlock, layers: ArraySlice<PlannedLayer>, _ x: String) throws -> String {
        func layer(_ local: String) throws -> PlannedLayer {
            guard let l = layers.first(where: { $0.localName == local }) else {
                throw LayerPlanError("onnx export: \(block.name) has no layer \(local)")
            }
            return l
        }
        var f: String
        switch block.kind {
        case .basic:
            f = try convNormRelu(try layer("conv1"), try layer("bn1"), x)
            f = try batchNorm(try layer("bn2"), try conv(try layer("conv2"), f))
        case .bottleneck:
            f = try convNormRelu(try layer("conv1"), try layer("bn1"), x)
            f = try convNormRelu(try layer("conv2"), try layer("bn2"), f)
            f = try batchNorm(try layer("bn3"), try conv(try layer("conv3"), f))
        case .invertedResidual:
            f = try convNormRelu(try layer("expand"), try layer("bn1"), x)
            f = try convNormRelu(try layer("depthwise"), try layer("bn2"), f)
            f = try batchNorm(try layer("bn3"), try conv(try layer("project"), f))
        }
        let shortcut: String? =
            switch block.shortcut {
            case .identity: x
            case .projection: try batchNorm(try layer("shortcut.bn"), try conv(try layer("shortcut.conv"), x))
            case .none: nil
            }
        guard let shortcut else { return f }
        let sum = node("Add", [shortcut, f], name: "\(block.name).add")
        return block.kind == .invertedResidual ? sum : node("Relu", [sum], name: "\(block.name).relu")
    }
}
