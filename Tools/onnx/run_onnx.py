#!/usr/bin/env python3
"""Runs a DiffNAS ONNX export in ONNX Runtime, for the parity test (Tests/ONNXTests).

usage: run_onnx.py MODEL.onnx IMAGES.npy LOGITS.npy

Checks the model with onnx.checker (full check, shape inference), runs IMAGES (float32 NCHW,
pixels / 255) through ONNX Runtime's CPU provider in two batches of different sizes (so the
batch dimension must be dynamic), saves the logits, and prints one JSON line describing the
graph (opset, input and output names and shapes).
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main() -> None:
    model_path, images_path, logits_path = sys.argv[1:4]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    images = np.load(images_path).astype(np.float32)
    split = max(1, len(images) // 3)
    parts = [session.run(["logits"], {"images": images[:split]})[0], session.run(["logits"], {"images": images[split:]})[0]]
    np.save(logits_path, np.concatenate(parts).astype(np.float32))

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    print(json.dumps({
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": {v.name: dims(v) for v in model.graph.input},
        "outputs": {v.name: dims(v) for v in model.graph.output},
        "nodes": sorted({n.op_type for n in model.graph.node}),
    }))


if __name__ == "__main__":
    main()
