import Foundation
import XCTest
import Components

/// Mutation fuzzing of `Component.load` and `Component.call` over every committed component.
///
/// A regular test run does a short smoke run. The long run (≥ 100,000 mutants, release build) is
/// `tools/fuzz/run.sh`, which sets `ENCLAVE_FUZZ_MUTANTS` and `ENCLAVE_FUZZ_PROGRESS`. Each mutant is
/// a pure function of (seed, index), so a crash is reproduced from the last index in the progress
/// file (`ENCLAVE_FUZZ_ONLY=index`), which the runner prints when the process dies or hangs.
final class MutationFuzzTests: XCTestCase {
    func testMutatedComponentsNeverCrashOrHang() throws {
        let env = ProcessInfo.processInfo.environment
        let count = Int(env["ENCLAVE_FUZZ_MUTANTS"] ?? "") ?? 300
        let seed = UInt64(env["ENCLAVE_FUZZ_SEED"] ?? "") ?? 0x5EED_F022
        let only = env["ENCLAVE_FUZZ_ONLY"].flatMap(Int.init)
        let start = Int(env["ENCLAVE_FUZZ_START"] ?? "") ?? 0
        let progressPath = env["ENCLAVE_FUZZ_PROGRESS"]
        let seeds = GuestFiles.allComponents().compactMap { try? [UInt8](Data(contentsOf: $0)) }
        XCTAssertGreaterThanOrEqual(seeds.count, 3, "expected committed components to mutate")

        var stats = FuzzStats()
        let started = Date()
        let indices: [Int] = only.map { [$0] } ?? Array(start..<start + count)
        for index in indices {
            if let progressPath, index % 64 == 0 || only != nil {
                // Coarse progress: the runner replays the last window of 64 to find a crasher.
                try? "\(index)\n".write(toFile: progressPath, atomically: false, encoding: .utf8)
            }
            var rng = SeededRandom(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            let base = seeds[rng.below(seeds.count)]
            let donor = seeds[rng.below(seeds.count)]
            let mutant = Mutator.mutate(base, donor: donor, rng: &rng)
            if only != nil {
                try Data(mutant).write(to: URL(fileURLWithPath: "/tmp/enclave-fuzz-\(index).wasm"))
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            stats.record(FuzzTarget.run(mutant))
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if ms > stats.slowestMs { stats.slowestMs = ms; stats.slowestIndex = index }
        }
        let seconds = Date().timeIntervalSince(started)
        print("FUZZ: \(indices.count) mutants in \(String(format: "%.1f", seconds)) s (seed \(seed)): "
              + "\(stats.loaded) loaded, \(stats.rejected) rejected, \(stats.calls) calls "
              + "(\(stats.callErrors) ended in an error), slowest mutant \(stats.slowestIndex) "
              + "\(String(format: "%.1f", stats.slowestMs)) ms")
        for (reason, n) in stats.rejections.sorted(by: { $0.value > $1.value }).prefix(12) {
            print("FUZZ:   \(n) × \(reason)")
        }
        // A mutant that takes seconds is a hang in the making (fuel and size limits must bound it).
        XCTAssertLessThan(stats.slowestMs, 5_000, "mutant \(stats.slowestIndex) took \(stats.slowestMs) ms")
    }
}

extension MutationFuzzTests {
    /// The seeds themselves, with arguments that make each trapping export trap: names in and
    /// out of range never turn a trap into anything but a call failure. (Their values are
    /// compared with wasmtime by `DifferentialTests`, like every committed component.)
    func testNameSectionSeedsTrapCleanly() throws {
        var traps = 0
        for name in ["traps-with-names.wasm", "hostile-names.wasm"] {
            let url = GuestFiles.fuzzSeedsDirectory.appendingPathComponent(name)
            let component = try Component.load([UInt8](Data(contentsOf: url)), imports: FuzzTarget.imports)
            for export in component.exports {
                do {
                    _ = try component.call(export.name, export.type.params.map { _ in .u32(0) }, limits: FuzzTarget.limits)
                    XCTAssertEqual(export.name, "fine", "\(name): \(export.name)(0) should have trapped")
                } catch let error as ComponentError {
                    switch error {
                    case .trap, .outOfFuel: traps += 1
                    default: XCTFail("\(name) \(export.name): \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(traps, 7, "six kinds of trap in one seed, one in the other")
    }
}

struct FuzzStats {
    var loaded = 0, rejected = 0, calls = 0, callErrors = 0
    var slowestMs = 0.0, slowestIndex = -1
    var rejections: [String: Int] = [:]

    mutating func record(_ outcome: FuzzTarget.Outcome) {
        switch outcome {
        case .rejected(let reason):
            rejected += 1
            rejections[reason, default: 0] += 1
        case .loaded(let calls, let errors):
            loaded += 1
            self.calls += calls
            callErrors += errors
        }
    }
}

/// Loads one mutant and calls each export with default arguments under a small budget.
enum FuzzTarget {
    enum Outcome { case rejected(String), loaded(calls: Int, errors: Int) }

    /// The imports our committed components use, answered by echoing the arguments: right for the
    /// `(T) -> T` host functions, deliberately wrong for others (the layer must reject, not crash).
    static let imports: HostImports = {
        var imports = HostImports()
        let echo = HostFunction { $0 }
        for name in DifferentialGuest.hostFunctionNames {
            imports.define(instance: "enclaveos:diff/host", function: name, echo)
        }
        imports.instances["enclaveos:diff/types"] = [:]  // type-only interface (see loadTolerant)
        for name in ["log", "add-one", "shout"] {
            imports.define(instance: "test:imports/host", function: name, echo)
        }
        return imports
    }()

    static let limits = ExecutionLimits(fuel: 200_000, maxMemoryBytes: 8 << 20)

    static func run(_ bytes: [UInt8]) -> Outcome {
        let component: Component
        do {
            component = try Component.load(bytes, imports: imports)
        } catch {
            return .rejected(category(of: error))
        }
        var errors = 0
        for export in component.exports {
            let args = export.type.params.map { ValueFactory.defaultValue(for: $0.type) }
            do { _ = try component.call(export.name, args, limits: limits) } catch { errors += 1 }
        }
        return .loaded(calls: component.exports.count, errors: errors)
    }

    /// The error's kind and first words, so the summary groups similar rejections.
    static func category(of error: Error) -> String {
        let text = String(describing: error)
        return String(text.split(separator: " ").prefix(4).joined(separator: " ").prefix(60))
    }
}

/// Byte-level and structure-aware mutations of a component binary.
enum Mutator {
    static func mutate(_ input: [UInt8], donor: [UInt8], rng: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let rounds = 1 + rng.below(rng.oneIn(4) ? 8 : 2)
        for _ in 0..<rounds {
            switch rng.below(10) {
            case 9: editNameSection(&bytes, &rng)
            case 0: flipBit(&bytes, &rng)
            case 1: setInterestingByte(&bytes, &rng)
            case 2: insertBytes(&bytes, &rng)
            case 3: deleteRange(&bytes, &rng)
            case 4: duplicateRange(&bytes, &rng)
            case 5, 6: spliceSections(&bytes, donor: donor, &rng)
            default: editLEB(&bytes, &rng)
            }
        }
        return bytes
    }

    static func flipBit(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        guard !b.isEmpty else { return }
        b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8))
    }

    static let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x40, 0x0B, 0x60, 0x10]

    static func setInterestingByte(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        guard !b.isEmpty else { return }
        b[rng.below(b.count)] = rng.oneIn(2) ? interesting[rng.below(interesting.count)] : UInt8(truncatingIfNeeded: rng.next())
    }

    static func insertBytes(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        let at = rng.below(b.count + 1)
        let n = 1 + rng.below(8)
        b.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
    }

    static func deleteRange(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        guard b.count > 1 else { return }
        let start = rng.below(b.count)
        let n = min(b.count - start, 1 + rng.below(rng.oneIn(8) ? 256 : 8))
        b.removeSubrange(start..<start + n)
    }

    static func duplicateRange(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        guard !b.isEmpty else { return }
        let start = rng.below(b.count)
        let n = min(b.count - start, 1 + rng.below(64))
        b.insert(contentsOf: Array(b[start..<start + n]), at: rng.below(b.count + 1))
    }

    /// Top-level sections: (range of the whole section). Stops at the first malformed header.
    static func sections(_ b: [UInt8]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 8
        while i < b.count {
            let start = i
            i += 1
            guard let (size, used) = readLEB(b, at: i), i + used + Int(size) <= b.count else { break }
            i += used + Int(size)
            result.append(start..<i)
        }
        return result
    }

    /// Section-level splices: drop, duplicate, swap, or import a section from the donor.
    static func spliceSections(_ b: inout [UInt8], donor: [UInt8], _ rng: inout SeededRandom) {
        let own = sections(b)
        guard !own.isEmpty else { return flipBit(&b, &rng) }
        let pick = own[rng.below(own.count)]
        switch rng.below(4) {
        case 0: b.removeSubrange(pick)
        case 1: b.insert(contentsOf: Array(b[pick]), at: own[rng.below(own.count)].lowerBound)
        case 2:
            let other = own[rng.below(own.count)]
            guard other != pick else { return }
            let (first, second) = pick.lowerBound < other.lowerBound ? (pick, other) : (other, pick)
            let a = Array(b[first]), c = Array(b[second])
            b.replaceSubrange(second, with: a)
            b.replaceSubrange(first, with: c)
        default:
            let theirs = sections(donor)
            guard !theirs.isEmpty else { return }
            b.insert(contentsOf: Array(donor[theirs[rng.below(theirs.count)]]), at: pick.lowerBound)
        }
    }

    /// The custom section name `name` as it appears in a binary (its length byte first).
    static let nameSectionTag: [UInt8] = [0x04] + Array("name".utf8)

    /// Rewrites an index, count or size inside a `name` custom section of an embedded core
    /// module (the section WasmKit reads when it symbolicates a trap) to a boundary value.
    static func editNameSection(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        var starts: [Int] = []
        var i = 0
        while i + nameSectionTag.count <= b.count {
            if b[i..<i + nameSectionTag.count].elementsEqual(nameSectionTag) { starts.append(i + nameSectionTag.count) }
            i += 1
        }
        guard let start = starts.isEmpty ? nil : starts[rng.below(starts.count)], start < b.count else {
            return editLEB(&b, &rng)
        }
        let at = min(b.count - 1, start + rng.below(24))
        guard let (_, used) = readLEB(b, at: at) else { return }
        let choices: [UInt64] = [0, 1, 0x3FFF_FFFF, 0xFFFF_FFFF, 0x7F, 0x80, UInt64(rng.below(64))]
        b.replaceSubrange(at..<at + used, with: encodeLEB(choices[rng.below(choices.count)], padded: rng.oneIn(3)))
    }

    /// Rewrites a LEB128 (often a size or count) somewhere in the binary to a boundary value.
    static func editLEB(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        let secs = sections(b)
        // Half the time the size field of a section, else any position.
        let at = (!secs.isEmpty && rng.oneIn(2)) ? secs[rng.below(secs.count)].lowerBound + 1 : rng.below(max(b.count, 1))
        guard at < b.count, let (_, used) = readLEB(b, at: at) else { return }
        let choices: [UInt64] = [0, 1, 0x7F, 0x80, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt64(rng.below(4096))]
        let value = choices[rng.below(choices.count)]
        b.replaceSubrange(at..<at + used, with: encodeLEB(value, padded: rng.oneIn(3)))
    }

    static func readLEB(_ b: [UInt8], at start: Int) -> (UInt64, Int)? {
        var value: UInt64 = 0, shift: UInt64 = 0, i = start
        while i < b.count && i - start < 10 {
            let byte = b[i]
            value |= UInt64(byte & 0x7F) << shift
            i += 1
            if byte & 0x80 == 0 { return (value, i - start) }
            shift += 7
        }
        return nil
    }

    static func encodeLEB(_ value: UInt64, padded: Bool) -> [UInt8] {
        var out: [UInt8] = [], v = value
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 || (padded && out.count < 4) { byte |= 0x80 }
            out.append(byte)
        } while v != 0 || (padded && out.count < 5)
        return out
    }
}
