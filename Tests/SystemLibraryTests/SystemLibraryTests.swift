import CJPEG
import CPNG
import CSndfile
import PlinthTensor
import XCTest

/// The system libraries that scripts/setup.sh installs link (or load) and answer.
final class SystemLibraryTests: XCTestCase {
    func testLibrariesAnswer() {
        XCTAssertGreaterThanOrEqual(png_access_version_number(), 10600)
        XCTAssertTrue(String(cString: sf_version_string()).hasPrefix("libsndfile"))
        var err = jpeg_error_mgr()
        XCTAssertNotNil(jpeg_std_error(&err))
        let c = Tensor.matmul(Tensor([1, 2], shape: [1, 2]), Tensor([3, 4], shape: [2, 1]))
        XCTAssertEqual(c.item(), 11)
        print("BLAS: \(BLAS.shared.path), core \(BLAS.shared.coreName ?? "n/a")")
    }
}
