import XCTest
@testable import Components

/// A host import keeps its `GuestAccess` between calls (`ComponentInstance.takeHostAccess`);
/// `reuse` must leave it as a new access would start: nothing charged, the call's limit, and
/// handles mapped through the table its component instance has now, with no lends left over.
final class GuestAccessReuseTests: XCTestCase {
    private func access(limit: Int, table: HandleTable) -> GuestAccess {
        let access = GuestAccess(memory: nil, realloc: nil, lifted: .arguments(of: "test-import"), liftLimit: limit)
        access.handleSource = HandleScope.Source(table: table, resources: [:], instance: 0, context: "test-import")
        return access
    }

    func testAReusedAccessStartsWithNothingChargedAndTheNewLimit() throws {
        let table = HandleTable()
        let access = access(limit: 100, table: table)
        try access.charge(80)
        XCTAssertThrowsError(try access.charge(30))
        access.reuse(liftLimit: 100, table: table)
        XCTAssertNoThrow(try access.charge(80), "the last call's charge must not count")
        access.reuse(liftLimit: 50, table: table)
        XCTAssertThrowsError(try access.charge(60), "the new call's limit applies")
    }

    func testAReusedAccessMapsHandlesThroughTheCurrentTable() throws {
        let old = HandleTable(), current = HandleTable()
        let access = access(limit: 100, table: old)
        XCTAssertTrue(try access.requireHandles().table === old)
        access.reuse(liftLimit: 100, table: current)
        XCTAssertTrue(try access.requireHandles().table === current)
    }

    func testAScopeWithUnreleasedLendsIsNotReused() throws {
        let table = HandleTable()
        let index = try table.add(HandleEntry(resource: "r", rep: 5, own: true), "test")
        let access = access(limit: 100, table: table)
        let scope = try access.requireHandles()
        XCTAssertEqual(try scope.liftBorrow(index, "r"), 5)
        access.reuse(liftLimit: 100, table: table)
        XCTAssertFalse(try access.requireHandles() === scope)
        scope.releaseLenders()
        let clean = try access.requireHandles()
        access.reuse(liftLimit: 100, table: table)
        XCTAssertTrue(try access.requireHandles() === clean, "a scope with no lends left is kept")
    }
}
