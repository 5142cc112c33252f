import SealedStore
import XCTest

/// The backend failure text names SQLite's code only where there is one.
final class SealedStoreErrorTextTests: XCTestCase {
    func testSQLiteFailureNamesItsCode() {
        let error = SealedStoreError.backend(operation: "remove app", code: 13, message: "database or disk is full")
        XCTAssertEqual(error.description, "sealed store backend: remove app failed (SQLite code 13): database or disk is full")
    }

    func testPostgreSQLFailureNamesNoSQLiteCode() {
        let error = SealedStoreError.backend(operation: "PostgreSQL: read a row", code: 0, message: "the row has no column 2")
        XCTAssertEqual(error.description, "sealed store backend: PostgreSQL: read a row failed: the row has no column 2")
    }
}
