import ArgumentParser
import Plinth
import PlinthKernels

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version, kernel ISA, thread count and BLAS library.")

    func run() {
        print("plinth \(PlinthInfo.version)")
        print("kernels: \(String(cString: pk_isa())), threads: \(Threads.count)")
        print("BLAS: \(BLAS.shared.path)\(BLAS.shared.coreName.map { " (core \($0))" } ?? "")")
    }
}
