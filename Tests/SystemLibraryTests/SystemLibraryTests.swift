import CBLAS
import CJPEG
import CPNG
import CSndfile
import XCTest

/// The system libraries that scripts/setup.sh installs link and answer.
final class SystemLibraryTests: XCTestCase {
    func testLibrariesLink() {
        XCTAssertGreaterThanOrEqual(png_access_version_number(), 10600)
        XCTAssertTrue(String(cString: sf_version_string()).hasPrefix("libsndfile"))
        var err = jpeg_error_mgr()
        XCTAssertNotNil(jpeg_std_error(&err))
        var c: Float = 0
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 2, 1, a, 2, b, 1, 0, &c, 1)
        XCTAssertEqual(c, 11)
    }
}
