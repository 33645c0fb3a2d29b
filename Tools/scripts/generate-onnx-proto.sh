#!/usr/bin/env bash
# Regenerates Sources/ONNX/Generated/onnx.pb.swift from Tools/onnx/proto/onnx.proto (ONNX's IR,
# taken from the `onnx` Python package 1.23.2, Apache-2.0). Run it only when updating the proto: the
# generated file is committed so that builds need neither protoc nor the plugin.
# Needs `protoc` (Debian protobuf-compiler); builds protoc-gen-swift from the swift-protobuf
# dependency of Package.swift.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product protoc-gen-swift
protoc --plugin=protoc-gen-swift=.build/release/protoc-gen-swift \
    --swift_opt=Visibility=Internal --swift_out=Sources/ONNX/Generated \
    --proto_path=Tools/onnx/proto Tools/onnx/proto/onnx.proto
echo "wrote Sources/ONNX/Generated/onnx.pb.swift"
