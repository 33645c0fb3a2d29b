import Foundation

/// Waits, before a contender's runs, until this process's threads have stopped using the cores.
///
/// The host libraries keep their worker threads spinning for a while after each call, so the
/// next call starts at once: libgomp (under oneDNN) for `GOMP_SPINCOUNT` iterations (~10 ms
/// here, measured with getrusage after a parallel region), OpenBLAS for
/// 2^`OPENBLAS_THREAD_TIMEOUT` cycles (2^28 by default, ~0.1 s). On a 2-core machine a
/// contender timed inside that window shares its cores with the spinners. Measured on PoCL (Zen
/// 4), `diffnas bench --suite conv` three times each way, alternating: without the wait our
/// passes ran at about half speed whenever they followed oneDNN's (stage 1 grad-input 79–82
/// GFLOP/s, stage 3 grad-input 101–202) against 148–157 and 181–205 with it, oneDNN's figures
/// unchanged; and with `OMP_WAIT_POLICY=passive` ours matched the waited figures. Making the
/// libraries sleep at once instead would change what is measured of them (OpenBLAS lost 10–25%
/// on the per-image GEMMs with `OPENBLAS_THREAD_TIMEOUT=4`), so each library keeps its defaults
/// and the runner waits for quiet: it samples the process's CPU time (user + system, every
/// thread) over slices of `sliceMilliseconds` and returns once a slice used at most
/// `quietShare` of one core, or after `limitMilliseconds` (a machine that never goes quiet: the
/// caller reports it). A running thread's time is accounted at scheduler ticks (4 ms at 250 Hz),
/// so a slice spans more than two of them; shorter slices looked quiet while threads spun.
public struct QuietCores {
    /// Seconds of CPU time used so far by every thread of this process.
    public var cpuSeconds: () -> Double
    /// Sleeps this many milliseconds.
    public var sleep: (Double) -> Void
    /// Length of one sample.
    public var sliceMilliseconds: Double = 10
    /// A slice is quiet when the process used at most this share of one core in it.
    public var quietShare: Double = 0.1
    /// Longest wait.
    public var limitMilliseconds: Double = 500

    public init(cpuSeconds: @escaping () -> Double = QuietCores.processCPUSeconds, sleep: @escaping (Double) -> Void = QuietCores.sleep) {
        self.cpuSeconds = cpuSeconds
        self.sleep = sleep
    }

    /// The outcome of one wait.
    public struct Wait: Equatable, Sendable {
        /// Milliseconds slept, the quiet slice included.
        public var milliseconds: Double
        /// False when the limit was reached with the cores still busy.
        public var quiet: Bool

        public init(milliseconds: Double, quiet: Bool) {
            self.milliseconds = milliseconds
            self.quiet = quiet
        }
    }

    /// Sleeps slice by slice until one slice is quiet (at most `limitMilliseconds`).
    public func wait() -> Wait {
        var waited = 0.0
        var before = cpuSeconds()
        while waited < limitMilliseconds {
            sleep(sliceMilliseconds)
            waited += sliceMilliseconds
            let after = cpuSeconds()
            if (after - before) * 1000 <= quietShare * sliceMilliseconds { return Wait(milliseconds: waited, quiet: true) }
            before = after
        }
        return Wait(milliseconds: waited, quiet: false)
    }

    /// `getrusage(RUSAGE_SELF)`: user + system time of every thread of the process.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    public static func sleep(_ milliseconds: Double) {
        usleep(useconds_t(max(0, milliseconds * 1000)))
    }
}

/// What the runner's waits for quiet cores added up to over a run.
public struct QuietWaits: Codable, Sendable, Equatable {
    /// Waits before a contender's warm-up and timed run.
    public var count = 0
    /// Their total milliseconds.
    public var totalMilliseconds = 0.0
    /// Waits that hit the limit with the cores still busy (something else was running).
    public var busy = 0

    public init() {}

    public mutating func record(_ wait: QuietCores.Wait) {
        count += 1
        totalMilliseconds += wait.milliseconds
        if !wait.quiet { busy += 1 }
    }
}
