import Foundation

/// Command-line options of `enclave-bench`.
struct Options {
    /// The measurement groups, in the order they run.
    enum Group: String, CaseIterable {
        case calls, wasmtime, rtt, throughput, load, capacity, handshakes, large, values, python, store, reads, cluster, hostile
    }

    /// A short smoke run: fewer iterations and shorter windows (figures are rougher).
    var quick = false
    /// Run only these groups (`--only calls,rtt`). `reads` (the SQLite `kv-read` rows of
    /// `store` alone, to profile them) runs only when named.
    var only: Set<Group> = Set(Group.allCases).subtracting([.reads])
    /// `--serve --data-dir DIR`: the server child process (internal).
    var serveDataDirectory: String?
    /// `--serve … --store URL --cluster-port N [--join URL]`: the child is a cluster node.
    var serveCluster: BenchServers.ClusterSpec?
    /// `--inline-call-limit MICROSECONDS` for the server child processes (nil: the server's
    /// default); 0 keeps every call on the call threads, to compare.
    var inlineCallLimit: Int?
    /// `--event-loop-threads N` for a server child process (internal; nil: one per core, as
    /// `enclave-os` runs).
    var serveEventLoopThreads: Int?
    /// `--guest-halt-poll-ns N`: the VM guest's idle-vCPU polling window for this run (root,
    /// haltpoll cpuidle driver only; restored at the end). See VCPUIdle.
    var guestHaltPollNanoseconds: Int?
    /// Where the committed guests and the wasmtime helper are (the package root).
    var root = FileManager.default.currentDirectoryPath

    static let usage = """
        usage: swift run -c release enclave-bench [--quick] [--only GROUP[,GROUP…]] [--repeat N] [--root DIR]
                                                  [--inline-call-limit MICROSECONDS] [--guest-halt-poll-ns N]
          groups: \(Group.allCases.map(\.rawValue).joined(separator: ", "))
          --guest-halt-poll-ns N: in a VM guest with the haltpoll cpuidle driver, let idle vCPUs poll
            N ns before halting during this run (root; the previous value is restored at the end).
          Progress goes to stderr; the Markdown table to stdout. Run from the package root.
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--quick": options.quick = true
            case "--only":
                guard let list = iterator.next() else { throw BenchError("--only needs a group list") }
                options.only = []
                for name in list.split(separator: ",") {
                    guard let group = Group(rawValue: String(name)) else { throw BenchError("unknown group '\(name)'\n\(usage)") }
                    options.only.insert(group)
                }
            case "--repeat":
                guard let factor = iterator.next().flatMap(Int.init), (1...1000).contains(factor) else {
                    throw BenchError("--repeat needs a factor from 1 to 1000")
                }
                options.repeatFactor = factor
            case "--root":
                guard let root = iterator.next() else { throw BenchError("--root needs a directory") }
                options.root = root
            case "--inline-call-limit":
                guard let limit = iterator.next().flatMap(Int.init), (0...10_000).contains(limit) else {
                    throw BenchError("--inline-call-limit needs microseconds from 0 to 10000")
                }
                options.inlineCallLimit = limit
            case "--event-loop-threads":
                guard let threads = iterator.next().flatMap(Int.init), (1...64).contains(threads) else {
                    throw BenchError("--event-loop-threads needs a count from 1 to 64")
                }
                options.serveEventLoopThreads = threads
            case "--guest-halt-poll-ns":
                guard let window = iterator.next().flatMap(Int.init), (0...10_000_000).contains(window) else {
                    throw BenchError("--guest-halt-poll-ns needs nanoseconds from 0 to 10000000")
                }
                options.guestHaltPollNanoseconds = window
            case "--serve": break
            case "--data-dir":
                guard let directory = iterator.next() else { throw BenchError("--data-dir needs a directory") }
                options.serveDataDirectory = directory
            case "--store":
                guard let url = iterator.next() else { throw BenchError("--store needs a URL") }
                options.serveCluster = BenchServers.ClusterSpec(store: url, clusterPort: options.serveCluster?.clusterPort ?? 0,
                                                                join: options.serveCluster?.join)
            case "--cluster-port":
                guard let port = iterator.next().flatMap(Int.init) else { throw BenchError("--cluster-port needs a port") }
                options.serveCluster = options.serveCluster ?? BenchServers.ClusterSpec(store: "")
                options.serveCluster?.clusterPort = port
            case "--join":
                guard let peer = iterator.next() else { throw BenchError("--join needs a URL") }
                options.serveCluster = options.serveCluster ?? BenchServers.ClusterSpec(store: "")
                options.serveCluster?.join = peer
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw BenchError("unknown argument '\(argument)'\n\(usage)")
            }
        }
        return options
    }

    /// Multiplies every iteration count (`--repeat N`): longer runs for a profiler.
    var repeatFactor = 1

    /// `full` normally, `quick` with `--quick`, times `--repeat`.
    func scaled(_ full: Int, quick small: Int) -> Int { (quick ? small : full) * repeatFactor }

    /// A file of the package, by path relative to the root.
    func path(_ relative: String) -> String { root + "/" + relative }

    func bytes(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw BenchError("cannot read \(path(relative)) (run from the package root, or pass --root)")
        }
        return [UInt8](data)
    }
}

/// The committed components the benchmark uses.
enum Guests {
    static let referenceApp = "Guests/wasm-app-example/wasm-app-example.wasm"
    static let benchGuest = "Guests/bench-guest/bench-guest.wasm"
    static let testGuest = "Guests/test-guest/test-guest.wasm"
    static let large100K = "Guests/bench-guest/large-100k.wasm"
    static let large1M = "Guests/bench-guest/large-1m.wasm"
    static let largeValues = "Guests/large-values/large-values.wasm"
    static let egressProbe = "Guests/egress-probe/egress-probe-positional.wasm"
}
