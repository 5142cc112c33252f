import Foundation

/// Waits for a condition that the code under test makes true on its own threads, instead of
/// sleeping a fixed time and then asserting: on a loaded machine a fixed sleep is either too
/// short (a flaky failure) or longer than needed.
enum Eventually {
    /// Polls `condition` every 5 ms until it holds or `limit` has passed; returns whether it
    /// held. The caller asserts on the result with its own message.
    static func wait(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
