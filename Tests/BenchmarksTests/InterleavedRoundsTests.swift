import Benchmarks
import Foundation
import OpenCLBackend
import TensorCore
import Testing
import _TestSupport

/// How `BenchRunner.measure` orders the runs of a case: every contender's first run and check
/// before any timing, then rounds in which each contender in turn runs its warm-ups and one
/// timed run; a contender that throws while being timed leaves the rounds, the others go on.
@Suite(.enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct InterleavedRoundsTests {
    /// Contenders that only log what the runner asks of them (host-clock timing, no device work).
    final class Log: @unchecked Sendable {
        var entries: [String] = []
        func contender(_ name: String, failOnRun failing: Int? = nil, correct: Bool = true) -> Contender {
            var runs = 0
            return Contender(
                name: name, timing: .hostClock,
                run: { [self] in
                    runs += 1
                    if runs == failing { throw CocoaError(.featureUnsupported) }
                    entries.append("\(name) run")
                },
                check: { [self] in
                    entries.append("\(name) check")
                    return correct
                        ? CheckOutcome.compare([1], [1], tolerance: .exact, method: "logged")
                        : CheckOutcome.compare([1], [2], tolerance: .exact, method: "logged")
                })
        }
    }

    static func benchCase(_ ours: Contender, _ comparators: [Contender]) -> BenchCase {
        BenchCase(suite: .gemm, name: "logged", shape: "-", work: .flops(1), timing: .hostClock, ours: ours, comparators: comparators)
    }

    @Test func roundsAlternateTheContendersAfterEveryCheck() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true, warmups: 1, repetitions: 3))
        let log = Log()
        let result = runner.measure(
            Self.benchCase(log.contender("ours"), [log.contender("them"), log.contender("wrong", correct: false)]))
        let firstRuns = ["ours run", "ours check", "them run", "them check", "wrong run", "wrong check"]
        let round = ["ours run", "ours run", "them run", "them run"]
        #expect(log.entries == firstRuns + round + round + round)
        #expect(result.ours.time?.samplesMilliseconds.count == 3)
        #expect(result.comparator("them")?.time?.samplesMilliseconds.count == 3)
        // One paired ratio per round, and the headline ratio is their median.
        let paired = try #require(result.comparator("them")?.pairedRatio)
        #expect(paired.perRound.count == 3 && result.comparator("them")?.ratio == paired.median)
        let ourTimes = try #require(result.ours.time?.samplesMilliseconds)
        let theirTimes = try #require(result.comparator("them")?.time?.samplesMilliseconds)
        // Equal work: round r's ratio is its comparator time over ours.
        for r in 0..<3 { #expect(abs(paired.perRound[r] - theirTimes[r] / ourTimes[r]) <= 1e-12 * paired.perRound[r]) }
        #expect(result.comparator("wrong")?.pairedRatio == nil)
        #expect(result.comparator("wrong")?.status == .failed && result.comparator("wrong")?.time == nil)
    }

    /// Before each contender's warm-ups and timed run the runner waits for quiet cores (a
    /// logged fake: quiet at its first slice), never before the first runs and checks; the
    /// waits are tallied for the report.
    @Test func everyRoundWaitsForQuietCoresBeforeEachContender() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true, warmups: 1, repetitions: 2))
        let log = Log()
        runner.quietCores = QuietCores(cpuSeconds: { 0 }, sleep: { _ in log.entries.append("quiet") })
        _ = runner.measure(Self.benchCase(log.contender("ours"), [log.contender("them")]))
        let firstRuns = ["ours run", "ours check", "them run", "them check"]
        let round = ["quiet", "ours run", "ours run", "quiet", "them run", "them run"]
        #expect(log.entries == firstRuns + round + round)
        #expect(runner.quietWaits.count == 4 && runner.quietWaits.busy == 0)
        #expect(runner.quietWaits.totalMilliseconds == 4 * runner.quietCores.sliceMilliseconds)
    }

    @Test func aComparatorFailingMidwayLeavesTheRoundsAndOursIsStillTimed() throws {
        let backend = try SharedBackends.requireOpenCL()
        let runner = BenchRunner(backend: backend, settings: BenchSettings(quick: true, warmups: 0, repetitions: 4))
        let log = Log()
        // Its 3rd run is the 2nd timed one: it throws there.
        let result = runner.measure(Self.benchCase(log.contender("ours"), [log.contender("them", failOnRun: 3)]))
        #expect(
            log.entries == ["ours run", "ours check", "them run", "them check", "ours run", "them run", "ours run", "ours run", "ours run"])
        #expect(result.passed && result.ours.time?.samplesMilliseconds.count == 4)
        let them = result.comparator("them")
        #expect(them?.status == .unavailable && them?.time == nil && them?.ratio == nil && them?.pairedRatio == nil)
        #expect(them?.reason?.hasPrefix("failed while timing") == true)
    }
}
