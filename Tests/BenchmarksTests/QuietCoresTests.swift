import Benchmarks
import Testing

/// `QuietCores.wait`: sleeps slice by slice until one slice used at most `quietShare` of a core,
/// driven here by a scripted CPU clock (seconds of process CPU time read after each slice).
@Suite("Quiet cores before a contender's runs")
struct QuietCoresTests {
    /// A CPU clock that advances by the given milliseconds of CPU time per slice, then stays.
    final class ScriptedClock: @unchecked Sendable {
        var milliseconds = 0.0
        var perSlice: [Double]
        var slept: [Double] = []
        init(_ perSlice: [Double]) { self.perSlice = perSlice }
        func quietCores(limit: Double = 500) -> QuietCores {
            var quiet = QuietCores(
                cpuSeconds: { [self] in milliseconds / 1000 },
                sleep: { [self] slice in
                    slept.append(slice)
                    milliseconds += perSlice.isEmpty ? 0 : perSlice.removeFirst()
                })
            quiet.limitMilliseconds = limit
            return quiet
        }
    }

    @Test func returnsAfterTheFirstQuietSlice() {
        // Two threads spinning (20 ms of CPU per 10 ms slice), then one at just under a tenth
        // of a core (0.9 ms: quiet), then nothing.
        let clock = ScriptedClock([20, 20, 0.9, 0])
        let wait = clock.quietCores().wait()
        #expect(wait == QuietCores.Wait(milliseconds: 30, quiet: true))
        #expect(clock.slept == [10, 10, 10])
    }

    @Test func aSliceJustOverTheThresholdIsBusy() {
        let clock = ScriptedClock([1.5, 0])
        #expect(clock.quietCores().wait() == QuietCores.Wait(milliseconds: 20, quiet: true))
    }

    @Test func stopsAtTheLimitWhenTheCoresStayBusy() {
        let clock = ScriptedClock(Array(repeating: 10, count: 100))
        let wait = clock.quietCores(limit: 50).wait()
        #expect(wait == QuietCores.Wait(milliseconds: 50, quiet: false))
        var tally = QuietWaits()
        tally.record(wait)
        tally.record(QuietCores.Wait(milliseconds: 10, quiet: true))
        #expect(tally.count == 2 && tally.busy == 1 && tally.totalMilliseconds == 60)
    }

    @Test func theProcessClockCountsThisThreadsWork() {
        let before = QuietCores.processCPUSeconds()
        var x = 0.0
        for i in 0..<20_000_000 { x += Double(i & 7) }
        #expect(x > 0)
        #expect(QuietCores.processCPUSeconds() > before)
    }
}
