import ArgumentParser
import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import TensorCore

/// Which backend runs the computation.
enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case opencl
    case reference
}

/// Options every computing subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long, help: "OpenCL device number from `diffnas devices` (default: $DIFFNAS_DEVICE, else the first GPU, else a CPU device).")
    var device: Int?

    @Option(name: .long, help: "Backend: opencl (default) or reference (the plain-Swift CPU oracle).")
    var backend: BackendChoice = .opencl

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42

    func validate() throws {
        if let device, device < 0 { throw ValidationError("--device must be a device number ≥ 0 (see `diffnas devices`)") }
        if device != nil && backend == .reference {
            throw ValidationError("--device selects an OpenCL device; it cannot be combined with --backend reference")
        }
    }

    /// Opens the chosen backend, turning OpenCL failures into one-line errors. `tuning` applies
    /// to OpenCL (see `openDevice`).
    func makeBackend(tuning: TuningPolicy = .cached) throws -> any Backend {
        switch backend {
        case .reference: return ReferenceBackend()
        case .opencl: return try openDevice(tuning: tuning)
        }
    }

    /// Opens the OpenCL backend on the chosen device with its cached kernel tuning (`.cached`,
    /// the default: `verify`, `op`), or tuning it first if there is none (`.tuneIfNeeded`:
    /// `train`, `search`, `bench`). `DIFFNAS_TUNE=off` keeps the built-in defaults.
    func openDevice(tuning: TuningPolicy = .cached) throws -> OpenCLBackend {
        do {
            return try OpenCLBackend(device: try Device.select(index: device), tuning: tuning)
        } catch let error as OpenCLError {
            throw CLIError("cannot open the OpenCL device: \(error.summary)")
        }
    }
}
