import CBLAS
import Foundation
import PlinthKernels

/// The BLAS library behind `matmul`, loaded with dlopen at first use.
///
/// Which library: `PLINTH_BLAS` (a shared-library path or `openblas`), else
/// the path that `scripts/setup.sh --blas NAME` wrote to /etc/plinth/blas,
/// else Debian's OpenBLAS (`libopenblas.so.0`). Entry points may carry a
/// prefix (`scipy_cblas_sgemm` in the scipy-openblas wheels).
///
/// OpenBLAS picks its kernels when it loads, from the CPU model; releases that
/// predate a CPU fall back to slow generic kernels (0.3.21 runs this project's
/// Emerald Rapids machines as "Prescott", at a seventh of their speed). Unless
/// `OPENBLAS_CORETYPE` is set, Plinth sets it from the instruction set its own
/// kernels detected (AVX-512: SkylakeX, AVX2: Haswell) before loading, and
/// likewise a short `OPENBLAS_THREAD_TIMEOUT`.
public final class BLAS: @unchecked Sendable {
    public static let shared = BLAS()

    /// The library as it was named to dlopen.
    public let path: String
    /// OpenBLAS's kernel family ("SkylakeX"), when the library reports it.
    public let coreName: String?
    /// `OPENBLAS_CORETYPE` as the environment set it before Plinth could, if it did.
    public let coreTypeFromEnvironment: String?

    typealias Sgemm = @convention(c) (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Float,
                                      UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
                                      UnsafeMutablePointer<Float>?, Int32) -> Void
    let sgemm: Sgemm
    private let setThreadsFn: (@convention(c) (Int32) -> Void)?

    static let configFile = "/etc/plinth/blas"

    private init() {
        let env = ProcessInfo.processInfo.environment
        let configured = (try? String(contentsOfFile: BLAS.configFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var choice = env["PLINTH_BLAS"] ?? configured ?? "openblas"
        if choice.isEmpty || choice == "openblas" { choice = "libopenblas.so.0" }
        // OpenBLAS's idle workers spin (sched_yield) for 2^28 cycles after each call,
        // taking a core from Plinth's own parallel kernels in between; 2^4 makes
        // them sleep at once (measured: a fifth of a block's CPU time was spinning).
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        coreTypeFromEnvironment = env["OPENBLAS_CORETYPE"]
        if env["OPENBLAS_CORETYPE"] == nil {
            switch String(cString: pk_isa()) {
            case "avx512": setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
            case "avx2": setenv("OPENBLAS_CORETYPE", "Haswell", 0)
            default: break
            }
        }
        guard let handle = dlopen(choice, RTLD_NOW | RTLD_GLOBAL) else {
            fatalError("BLAS: cannot load '\(choice)' (from \(env["PLINTH_BLAS"] != nil ? "PLINTH_BLAS" : configured != nil ? BLAS.configFile : "the default")): \(String(cString: dlerror())). Run scripts/setup.sh.")
        }
        func symbol(_ names: [String]) -> UnsafeMutableRawPointer? { names.lazy.compactMap { dlsym(handle, $0) }.first }
        guard let sgemm = symbol(["cblas_sgemm", "scipy_cblas_sgemm"]) else {
            fatalError("BLAS: '\(choice)' has no cblas_sgemm")
        }
        self.sgemm = unsafeBitCast(sgemm, to: Sgemm.self)
        setThreadsFn = symbol(["openblas_set_num_threads", "scipy_openblas_set_num_threads", "MKL_Set_Num_Threads",
                               "bli_thread_set_num_threads"])
            .map { unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self) }
        coreName = symbol(["openblas_get_corename", "scipy_openblas_get_corename"])
            .map { String(cString: unsafeBitCast($0, to: (@convention(c) () -> UnsafePointer<CChar>).self)()) }
        path = choice
    }

    func setThreads(_ n: Int) { setThreadsFn?(Int32(n)) }
}

/// Row-major sgemm: C = alpha * op(A) op(B) + beta * C, op(A) [M, K], op(B) [K, N].
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
           beta: Float = 0, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    BLAS.shared.sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
