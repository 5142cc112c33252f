// Resource types at link time: types the component defines (with their destructors), host
// resources bound by import name, and the `canon resource.new/rep/drop` built-ins.

extension ComponentLinker {
    /// `(type (resource (rep i32) (dtor f)))`: a resource implemented by this component.
    mutating func defineResource(destructor: UInt32?, _ scope: Scope) throws -> ResolvedType {
        let planDestructor = try destructor.map { try coreFunction($0, scope, "type section") }
        let name = scope.types.budget.freshResourceName("resource")
        plan.resources[name] = .guest(destructor: planDestructor, instance: scope.instanceID)
        return .resource(name: name)
    }

    /// Binds the `(sub resource)` exports of an imported instance type to the host's resources
    /// (`instance#name`), renaming them to the host's keys throughout the instance's types.
    mutating func bindHostResources(instance: String, _ exports: [(String, ResolvedType)]) throws -> [(String, ResolvedType)] {
        var renames: [String: String] = [:]
        for (exportName, type) in exports {
            // Resources declared elsewhere (an `eq` bound to another import's type) are bound already.
            guard case .resource(let placeholder) = type, TypeBudget.isPlaceholder(placeholder) else { continue }
            let wanted = "\(instance)#\(exportName)"
            guard let key = hostImports.resourceKey(named: wanted), let host = hostImports.resources[key] else {
                throw ComponentError.missingImport(wanted)
            }
            plan.resources[key] = .host(host)
            renames[placeholder] = key
        }
        return exports.map { ($0.0, $0.1.renamingResources(renames)) }
    }

    /// `canon resource.new / resource.rep / resource.drop` of the resource type at `type`.
    mutating func canonResource(_ canon: Canon, type: UInt32, _ scope: inout Scope) throws {
        let context = "canon section"
        guard case .resource(let name) = try scope.types.lookup(type, context) else {
            throw ComponentError.invalid("\(context): resource built-in on type \(type), which is not a resource type")
        }
        guard let impl = plan.resources[name] else {
            throw ComponentError.invalid("\(context): resource type \(type) (\(name)) is neither defined by the component nor imported")
        }
        let instance = scope.instanceID
        switch canon {
        case .resourceNew, .resourceRep:
            // Only the implementation can create handles from reps or read reps back.
            guard impl.isImplemented(by: instance) else {
                throw ComponentError.invalid("\(context): resource.new/resource.rep of \(name), which this component does not define")
            }
            if case .resourceNew = canon {
                addCoreFunction(.resourceNew(resource: name, instance: instance), &scope)
            } else {
                addCoreFunction(.resourceRep(resource: name, instance: instance), &scope)
            }
        default:
            addCoreFunction(.resourceDrop(resource: name, instance: instance), &scope)
        }
    }
}
