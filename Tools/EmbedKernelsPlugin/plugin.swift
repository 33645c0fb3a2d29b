// EmbedKernelsPlugin: turns every `Kernels/*.cl` file of the package into a Swift string
// constant at build time, so the device code travels inside the binary (no run-time lookup).
import Foundation
import PackagePlugin

@main
struct EmbedKernelsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let kernelDir = context.package.directoryURL.appendingPathComponent("Kernels")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kernelDir.path)) ?? []
        let inputs = names.filter { $0.hasSuffix(".cl") }.sorted().map { kernelDir.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("KernelSources.swift")
        let tool = try context.tool(named: "EmbedKernels")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) OpenCL kernel files",
                executable: tool.url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
