import Benchmarks
import Testing

/// The host processor line of the bench report, from `/proc/cpuinfo` text: the first processor's
/// name, x86 family and model, the logical CPU count and the caches.
@Suite struct HostCPUTests {
    static let twoCores = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        cpu family\t: 26
        model\t\t: 2
        model name\t: AMD EPYC
        flags\t\t: fpu avx512f

        processor\t: 1
        vendor_id\t: AuthenticAMD
        cpu family\t: 26
        model\t\t: 2
        model name\t: AMD EPYC
        """

    @Test func x86CpuinfoNamesFamilyModelCountAndCaches() {
        #expect(
            HostCPU.describe(cpuinfo: Self.twoCores, caches: "L1d 48 KiB, L2 1024 KiB per core")
                == "AMD EPYC (x86 family 26, model 2; 2 logical CPUs; L1d 48 KiB, L2 1024 KiB per core)")
        #expect(HostCPU.describe(cpuinfo: Self.twoCores, caches: nil) == "AMD EPYC (x86 family 26, model 2; 2 logical CPUs)")
    }

    /// An ARM cpuinfo has no model name or family: the count is still given; empty text is unknown.
    @Test func otherLayoutsAndEmptyText() {
        let arm = "processor\t: 0\nBogoMIPS\t: 48.00\nCPU implementer\t: 0x41\n"
        #expect(HostCPU.describe(cpuinfo: arm, caches: nil) == "unknown CPU (1 logical CPU)")
        #expect(HostCPU.describe(cpuinfo: "", caches: nil) == "unknown CPU")
    }

    /// On Linux the real `/proc/cpuinfo` gives at least the logical CPU count.
    @Test func thisHostIsDescribed() {
        #if os(Linux)
        #expect(HostCPU.describe().contains("logical CPU"), "\(HostCPU.describe())")
        #else
        #expect(!HostCPU.describe().isEmpty)
        #endif
    }
}
