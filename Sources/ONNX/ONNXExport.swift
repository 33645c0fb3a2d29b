import Foundation
import NN
import SwiftProtobuf
import TensorCore

/// A trained network as an ONNX model (opset 17) that ONNX Runtime and other ONNX tools run.
///
/// The graph follows the network's `LayerPlan`: each convolution a `Conv` (pads k/2, `group` = C
/// for depthwise), each batch norm an inference-mode `BatchNormalization` with the running
/// statistics (not folded, so the weights stay the trained tensors, under the plan's names),
/// residual joins `Add`, activations `Relu`, the head `GlobalAveragePool` → `Flatten` → `Gemm`
/// (`transB = 1`); an MLP is `Flatten` then `Gemm`/`Relu` layers.
///
/// Input `images`: float32 `[N, C, H, W]`, pixels scaled to [0, 1] (pixel / 255), `N` dynamic.
/// When `normalization` is given the graph starts with `Sub(mean)` and `Div(std)` per channel,
/// so a user feeds raw scaled images. Output `logits`: float32 `[N, classes]`.
public enum ONNXExport {
    public static let opset: Int64 = 17

    /// The serialized model. `normalization` is `(mean, std)` per input channel.
    public static func model(_ network: Network, normalization: (mean: [Float], std: [Float])?, name: String? = nil) throws -> Data {
        let state = try Dictionary(
            uniqueKeysWithValues: network.namedState.map { ($0.name, ($0.tensor.shape, try network.backend.download($0.tensor))) })
        var graph = GraphBuilder(state: state)
        let plan = network.plan
        let a = network.architecture
        var x = "images"
        if let normalization {
            try require(
                normalization.mean.count == a.input.channels && normalization.std.count == a.input.channels,
                "onnx export: the normalization has \(normalization.mean.count) channels, the network takes \(a.input.channels)")
            let shape = [1, a.input.channels, 1, 1]
            graph.constant("normalization.mean", shape: shape, values: normalization.mean)
            graph.constant("normalization.std", shape: shape, values: normalization.std)
            x = graph.node("Sub", [x, "normalization.mean"], name: "normalization.sub")
            x = graph.node("Div", [x, "normalization.std"], name: "normalization.div")
        }
        switch a.family {
        case .mlp:
            x = graph.node("Flatten", [x], name: "flatten", attributes: [.int("axis", 1)])
            for layer in plan.layers {
                x = try graph.linear(layer, x)
                if layer.output != .classes { x = graph.node("Relu", [x], name: "\(layer.name).relu") }
            }
        case .resnet, .mobilenetv2:
            x = try graph.convNormRelu(try plan.layer(named: "stem.conv"), try plan.layer(named: "stem.bn"), x)
            for block in plan.blocks { x = try graph.block(block, layers: plan.layers(of: block), x) }
            if a.family == .mobilenetv2 {
                x = try graph.convNormRelu(try plan.layer(named: "head.conv"), try plan.layer(named: "head.bn"), x)
            }
            x = graph.node("GlobalAveragePool", [x], name: "pool")
            x = graph.node("Flatten", [x], name: "flatten", attributes: [.int("axis", 1)])
            x = try graph.linear(try plan.layer(named: "classifier"), x)
        }
        graph.rename(x, to: "logits")

        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "diffnas"
        model.modelVersion = 1
        model.docString = "DiffNAS \(a.family.rawValue) \(a.notes["name"] ?? ""); input: pixels / 255, NCHW"
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        model.opsetImport = [opset]
        var g = graph.graph
        g.name = name ?? a.notes["name"] ?? "diffnas"
        g.input = [valueInfo("images", dims: [nil, a.input.channels, a.input.height, a.input.width])]
        g.output = [valueInfo("logits", dims: [nil, a.classes])]
        model.graph = g
        var metadata = Onnx_StringStringEntryProto()
        metadata.key = "diffnas.architecture"
        metadata.value = String(decoding: try a.encoded(), as: UTF8.self)
        model.metadataProps = [metadata]
        return try model.serializedData()
    }

    /// A float32 tensor type with the given dims (nil: the dynamic batch dimension `N`).
    static func valueInfo(_ name: String, dims: [Int?]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
