import ArgumentParser
import Plinth
import PlinthKernels

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version, kernel ISA and thread count.")

    func run() {
        print("plinth \(PlinthInfo.version)")
        print("kernels: \(String(cString: pk_isa())), threads: \(Threads.count)")
    }
}
