import ArgumentParser
import Plinth
import PlinthKernels

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version, kernel ISA, thread count and BLAS library.")

    func run() {
        print("plinth \(PlinthInfo.version)")
        print("kernels: \(String(cString: pk_isa())), threads: \(Threads.count)")
        let blas = BLAS.shared
        let chosen = blas.coreTypeFromEnvironment.map { ", OPENBLAS_CORETYPE=\($0) from the environment" } ?? ""
        print("BLAS: \(blas.path)\(blas.coreName.map { " (core \($0)\(chosen))" } ?? "")")
    }
}
