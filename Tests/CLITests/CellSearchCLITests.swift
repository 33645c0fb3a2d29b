import Foundation
import TensorCore
import Testing
import _TestSupport

/// `diffnas search --method …` for the cell methods, and `diffnas train --arch genotype.json`, as a user runs them.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CellSearchCLITests {
    @Test(arguments: ["darts", "gdas"])
    func cellSearchRunsReportsAndItsGenotypeRetrains(_ method: String) throws {
        let data = try TrainSearchCLITests.makeData()
        let root = try makeTemporaryDirectory("diffnas-cells")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("search")
        let args = [
            "search", "--method", method, "--space", "nb201", "--data", data.path, "--image-side", "8", "--channels", "4", "--cells", "1",
            "--batch", "8", "--search-steps", "5", "--retrain-epochs", "1", "--backend", "reference", "--out", out.path,
        ]
        let r = try runDiffNAS(args)
        #expect(r.status == 0, "\(r.standardError)")
        #expect(r.standardOutput.contains("**Genotype:**") && r.standardOutput.contains("test accuracy"))
        for file in [
            "report.md", "report.json", "genotype.json", "alpha-normal.svg", "alpha-edges-normal.svg", "weights.svg", "cells.svg",
            "search.ckpt", "plan.json",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        #expect((report["peakBytes"] as? Int ?? 0) > 0)
        let genotype = try String(contentsOf: out.appendingPathComponent("genotype.json"), encoding: .utf8)
        #expect(genotype.contains("\"space\" : \"nb201\""))

        // Running again over it is refused; --resume finishes at once with the same genotype.
        let again = try runDiffNAS(args)
        #expect(again.status != 0 && again.standardError.contains("--resume"), "\(again.standardError)")
        let resumed = try runDiffNAS(args + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try String(contentsOf: out.appendingPathComponent("genotype.json"), encoding: .utf8) == genotype)

        // The genotype trains with `diffnas train --arch`.
        let trained = root.appendingPathComponent("train")
        let t = try runDiffNAS([
            "train", "--arch", out.appendingPathComponent("genotype.json").path, "--data", data.path, "--image-side", "8", "--channels",
            "4",
            "--cells", "1", "--epochs", "1", "--batch", "16", "--backend", "reference", "--out", trained.path,
        ])
        #expect(t.status == 0, "\(t.standardError)")
        #expect(t.standardOutput.contains("final: test accuracy"))
    }

    @Test func badCellOptionsAreRefusedInOneLine() throws {
        for args in [
            ["search", "--method", "darts", "--base", "mobilenetv2"],
            ["search", "--space", "darts"],
            ["search", "--method", "gdas", "--image-side", "10"],
            ["search", "--cutout", "8"],
            ["search", "--method", "darts", "--cutout", "-2"],
            ["train", "--cutout", "-1"],
        ] {
            let r = try runDiffNAS(args)
            #expect(r.status != 0 && r.standardError.contains("Error"), "\(args): \(r.standardError)")
        }
        let file = try makeTemporaryDirectory("diffnas-genotype").appendingPathComponent("genotype.json")
        try Data(#"{"space": "nb201", "genotype": "|conv~0|"}"#.utf8).write(to: file)
        let r = try runDiffNAS(["train", "--arch", file.path, "--epochs", "1"])
        #expect(r.status != 0 && r.standardError.contains("unknown operation"), "\(r.standardError)")
    }

    /// `diffnas op channel-shuffle` is PC-DARTS' shuffle: reshape [N, g, C/g, …], swap, flatten.
    @Test func channelShuffleOperation() throws {
        let dir = try makeTemporaryDirectory("diffnas-shuffle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = (0..<24).map(Float.init)  // [2, 4, 3]
        try NPYFile.write(shape: [2, 4, 3], values: x, to: dir.appendingPathComponent("x.npy"))
        let r = try runDiffNAS([
            "op", "channel-shuffle", "--in", dir.appendingPathComponent("x.npy").path, "--out", dir.appendingPathComponent("y.npy").path,
            "--param", "groups=2",
        ])
        #expect(r.status == 0, "\(r.standardError)")
        let y = try NPYFile.read(contentsOf: dir.appendingPathComponent("y.npy"))
        // Channel order 0, 2, 1, 3 in each sample.
        let expected: [Float] = [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11, 12, 13, 14, 18, 19, 20, 15, 16, 17, 21, 22, 23]
        #expect(y.values == expected && y.shape == [2, 4, 3])
    }
}
