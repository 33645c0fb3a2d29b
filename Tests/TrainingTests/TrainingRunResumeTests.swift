import Foundation
import NN
import Testing
import Training
import _TestSupport

/// `TrainingRun` writes an epoch's metrics line before its checkpoint, so a kill can leave at most
/// one line more than the checkpoint's epochs, never one less; resuming cuts the log back to the
/// checkpoint and ends with exactly the lines and the weights of an uninterrupted run.
@Suite(.timeLimit(.minutes(10))) struct TrainingRunResumeTests {
    static func lines(_ run: TrainingRun) throws -> [[String: Any]] {
        try String(contentsOf: run.metricsURL, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The fields of a line that do not depend on timing.
    static func stable(_ line: [String: Any]) -> String {
        ["epoch", "train_loss", "train_accuracy", "steps", "learning_rate", "test_accuracy"].map { "\(line[$0] ?? "–")" }.joined(
            separator: " ")
    }

    @Test func aKillBetweenTheLogLineAndTheCheckpointResumesToTheUninterruptedRun() throws {
        let root = try makeTemporaryDirectory("diffnas-trainingrun")
        defer { try? FileManager.default.removeItem(at: root) }
        let straight = try TrainingRun(trainer: try TrainerTests.trainer(epochs: 2), folder: root.appendingPathComponent("straight"))
        _ = try straight.run()

        // The state a SIGKILL leaves after epoch 2's line is appended and before its checkpoint
        // replaces epoch 1's: two lines, a checkpoint of one epoch.
        let killed = try TrainingRun(trainer: try TrainerTests.trainer(epochs: 2), folder: root.appendingPathComponent("killed"))
        _ = try killed.run()
        let first = try TrainerTests.trainer(epochs: 2)
        _ = try first.trainEpoch()
        try first.makeCheckpoint(extra: ["seconds": "1", "images": "48"]).write(to: killed.checkpointURL)
        #expect(try Self.lines(killed).count == 2)

        let resumed = try TrainingRun(trainer: try TrainerTests.trainer(epochs: 2), folder: killed.folder)
        #expect(try resumed.resumeIfPossible())
        #expect(resumed.trainer.completedEpochs == 1)
        #expect(try Self.lines(resumed).count == 1, "the log is cut back to the checkpoint's epoch")
        _ = try resumed.run()

        let a = try Self.lines(straight), b = try Self.lines(resumed)
        #expect(a.map { "\($0["epoch"] ?? "")" } == ["1", "2"])
        #expect(a.map(Self.stable) == b.map(Self.stable))
        let x = try Checkpoint.read(contentsOf: straight.checkpointURL), y = try Checkpoint.read(contentsOf: resumed.checkpointURL)
        #expect(x.tensors.map(\.name) == y.tensors.map(\.name))
        for (p, q) in zip(x.tensors, y.tensors) { #expect(p.values.map(\.bitPattern) == q.values.map(\.bitPattern), "\(p.name)") }
    }

    /// The order itself: when epoch 2's checkpoint cannot be written (a non-empty folder stands in
    /// its place), epoch 2's line is already in the log — so at no moment does a checkpoint hold
    /// an epoch the log lacks, which is what a kill right after the checkpoint used to leave.
    @Test func theEpochLineIsWrittenBeforeItsCheckpoint() throws {
        let root = try makeTemporaryDirectory("diffnas-trainingrun-order")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try TrainingRun(trainer: try TrainerTests.trainer(epochs: 2), folder: root)
        var blocked = false
        #expect(throws: CheckpointError.self) {
            _ = try run.run(onEpoch: { record in
                guard record.epoch == 1 else { return }
                try? FileManager.default.removeItem(at: run.checkpointURL)
                try? FileManager.default.createDirectory(at: run.checkpointURL, withIntermediateDirectories: true)
                blocked = FileManager.default.createFile(
                    atPath: run.checkpointURL.appendingPathComponent("occupied").path, contents: Data())
            })
        }
        #expect(blocked)
        #expect(try Self.lines(run).map { "\($0["epoch"] ?? "")" } == ["1", "2"])
    }
}
