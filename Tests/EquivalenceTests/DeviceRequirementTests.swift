import Foundation
import Testing
import _TestSupport

/// CI (`.ci/run`, `Tools/scripts/test.sh` with `CI` set) exports `DIFFNAS_REQUIRE_DEVICE=1`: there,
/// a machine on which no OpenCL device opens fails this test with the reason, instead of
/// skipping every device suite and passing with no kernel checked. Without the variable (a
/// developer's machine with no OpenCL) the device suites are skipped and this test passes.
@Suite struct DeviceRequirementTests {
    @Test func openCLDeviceOpensWhenRequired() throws {
        guard ProcessInfo.processInfo.environment["DIFFNAS_REQUIRE_DEVICE"] == "1" else { return }
        #expect(SharedBackends.openCLAvailable, "DIFFNAS_REQUIRE_DEVICE=1 but no OpenCL device opened: \(SharedBackends.openCLSkipReason)")
        _ = try SharedBackends.requireOpenCL()
    }
}
