import XCTest
@testable import HostInterfaces

/// The per-call handle table: reps from 1, never reused, capped, stale reps refused.
final class ResourceTableTests: XCTestCase {
    func testRepsAreNeverReusedAndStaleRepsAreUnknown() throws {
        var table = ResourceTable<String>(name: "test.thing", capacity: 3)
        let (a, b, c) = (try table.insert("a"), try table.insert("b"), try table.insert("c"))
        XCTAssertEqual([a, b, c], [1, 2, 3])
        XCTAssertThrowsError(try table.insert("d")) { error in
            XCTAssertEqual(error as? ResourceTable<String>.Failure, .full(resource: "test.thing", capacity: 3))
        }
        XCTAssertEqual(try table.remove(b), "b")
        XCTAssertThrowsError(try table.get(b)) { error in
            XCTAssertEqual(error as? ResourceTable<String>.Failure, .unknown(resource: "test.thing", rep: 2))
        }
        XCTAssertThrowsError(try table.remove(b))
        XCTAssertThrowsError(try table.set(b, "again"))
        let d = try table.insert("d")
        XCTAssertEqual(d, 4, "a dropped rep is not handed out again")
        try table.set(c, "c2")
        XCTAssertEqual(try [a, c, d].map { try table.get($0) }, ["a", "c2", "d"])
        XCTAssertThrowsError(try table.get(0))
        XCTAssertThrowsError(try table.get(5))
        XCTAssertEqual(table.count, 3)
        XCTAssertEqual(table.values, ["a", "c2", "d"])
        XCTAssertEqual(table.removeAll(), ["a", "c2", "d"])
        XCTAssertEqual(table.count, 0)
        XCTAssertThrowsError(try table.get(a))
    }

    /// Many live handles, dropped in a scattered order: every lookup still finds its own entry.
    func testLookupsStayExactWithManyLiveEntries() throws {
        var table = ResourceTable<UInt32>(name: "test.many", capacity: 1024)
        var live: [UInt32] = []
        for index in 0..<1024 { live.append(try table.insert(UInt32(index) * 7)) }
        for rep in live where rep % 3 == 0 { try table.remove(rep) }
        for rep in live {
            if rep % 3 == 0 {
                XCTAssertThrowsError(try table.get(rep))
            } else {
                XCTAssertEqual(try table.get(rep), (rep - 1) * 7)
            }
        }
    }
}
