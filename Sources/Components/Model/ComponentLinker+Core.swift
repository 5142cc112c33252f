import WasmKit

// Core instances and core export aliases at any nesting level: each component instance has
// its own core index spaces, which map to positions in the plan's global lists.

/// Where a parsed core module came from (for validating the code of modules no core instance
/// uses).
struct ModuleSource: Hashable, Sendable {
    /// `ComponentAST.id` of the defining component.
    var component: Int
    var index: Int
}

extension ComponentLinker {
    mutating func coreInstance(_ expr: CoreInstanceExpr, _ scope: inout Scope) throws {
        let context = "core instance section"
        switch expr {
        case .instantiate(let moduleIndex, let args):
            guard Int(moduleIndex) < scope.modules.count else {
                throw ComponentError.invalid("\(context): core module index \(moduleIndex) out of range")
            }
            var bound: [String: Int] = [:]
            var planArgs: [(String, Int)] = []
            for (name, instance) in args {
                guard Int(instance) < scope.coreInstances.count else {
                    throw ComponentError.invalid("\(context): argument '\(name)' names core instance \(instance), which is not defined yet")
                }
                let global = scope.coreInstances[Int(instance)]
                guard bound.updateValue(global, forKey: name) == nil else {
                    throw ComponentError.invalid("\(context): duplicate argument '\(name)'")
                }
                planArgs.append((name, global))
            }
            let planModule = scope.modules[Int(moduleIndex)]
            let module = plan.modules[planModule]
            for entry in module.imports {
                guard let instance = bound[entry.module] else {
                    throw ComponentError.invalid("\(context): core module \(planModule) imports from '\(entry.module)' but no instance is supplied for it")
                }
                guard coreInstanceExports[instance][entry.name] != nil else {
                    throw ComponentError.invalid("\(context): core module \(planModule) imports '\(entry.module)'.'\(entry.name)', which core instance \(instance) does not export")
                }
            }
            var exports: [String: CoreSort] = [:]
            // The reserved state exports (CoreStateRewriter) are the host's, not the component's.
            for export in module.exports where !CoreStateExports.isReserved(export.name) {
                switch export.descriptor {
                case .function: exports[export.name] = .function
                case .table: exports[export.name] = .table
                case .memory: exports[export.name] = .memory
                case .global: exports[export.name] = .global
                case .tag: exports[export.name] = .tag
                }
            }
            coreInstanceExports.append(exports)
            plan.coreInstances.append(.instantiate(module: planModule, args: planArgs))
        case .inline(let items):
            var exports: [String: CoreSort] = [:]
            var resolved: [(String, CoreItem)] = []
            for (name, ref) in items {
                let index = Int(ref.index)
                func local(_ space: [Int]) throws -> Int {
                    guard index < space.count else { throw ComponentError.invalid("\(context): inline export '\(name)' index \(index) out of range") }
                    return space[index]
                }
                switch ref.sort {
                case .function: resolved.append((name, .function(try local(scope.coreFunctions))))
                case .table: resolved.append((name, .table(try local(scope.coreTables))))
                case .memory: resolved.append((name, .memory(try local(scope.coreMemories))))
                case .global: resolved.append((name, .global(try local(scope.coreGlobals))))
                case .tag: resolved.append((name, .tag(try local(scope.coreTags))))
                default: throw ComponentError.invalid("\(context): inline export of core \(ref.sort)")
                }
                exports[name] = ref.sort
            }
            coreInstanceExports.append(exports)
            plan.coreInstances.append(.inline(resolved))
        }
        guard plan.coreInstances.count <= DecodeLimits.maxInstances else {
            throw ComponentError.unsupported("the component creates more than \(DecodeLimits.maxInstances) core instances")
        }
        scope.coreInstances.append(plan.coreInstances.count - 1)
    }

    /// `alias core export i "name"`: a function, table, memory, global or tag of a core instance.
    mutating func coreAlias(_ sort: Sort, instance: UInt32, name: String, _ scope: inout Scope) throws {
        let context = "alias section"
        guard case .core(let coreSort) = sort else { throw ComponentError.invalid("\(context): core export alias with a non-core sort") }
        guard Int(instance) < scope.coreInstances.count else {
            throw ComponentError.invalid("\(context): core instance index \(instance) out of range")
        }
        let global = scope.coreInstances[Int(instance)]
        guard let actual = coreInstanceExports[global][name] else {
            throw ComponentError.invalid("\(context): core instance \(instance) has no export '\(name)'")
        }
        guard actual == coreSort else {
            throw ComponentError.invalid("\(context): core export '\(name)' is a \(actual), not a \(coreSort)")
        }
        let ref = CoreExportRef(instance: global, name: name)
        switch coreSort {
        case .function:
            plan.coreFunctions.append(.export(instance: global, name: name))
            scope.coreFunctions.append(plan.coreFunctions.count - 1)
        case .table:
            plan.coreTables.append(ref)
            scope.coreTables.append(plan.coreTables.count - 1)
        case .memory:
            plan.coreMemories.append(ref)
            scope.coreMemories.append(plan.coreMemories.count - 1)
        case .global:
            plan.coreGlobals.append(ref)
            scope.coreGlobals.append(plan.coreGlobals.count - 1)
        case .tag:
            plan.coreTags.append(ref)
            scope.coreTags.append(plan.coreTags.count - 1)
        default:
            throw ComponentError.invalid("\(context): alias of core \(coreSort)")
        }
    }

    /// Appends a core function definition to the plan and to the scope's core function space.
    mutating func addCoreFunction(_ definition: CoreFunctionDef, _ scope: inout Scope) {
        plan.coreFunctions.append(definition)
        scope.coreFunctions.append(plan.coreFunctions.count - 1)
    }

    /// A local core function index as a plan index.
    func coreFunction(_ index: UInt32, _ scope: Scope, _ context: String) throws -> Int {
        guard Int(index) < scope.coreFunctions.count else {
            throw ComponentError.invalid("\(context): core func \(index) is out of range (\(scope.coreFunctions.count) defined)")
        }
        return scope.coreFunctions[Int(index)]
    }
}
