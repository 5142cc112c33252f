import EnclaveProtocol

extension AppRegistry {
    /// The app a request means when it may not name one exactly: the app called `hint`, else
    /// the app served under hostname `hint`, else (for an empty or unmatched hint) the only app
    /// loaded. The original's MCP shim takes the hint from the Host header's first label.
    func resolve(_ hint: String) -> Result<LoadedApp, ManagementError> {
        if !hint.isEmpty {
            if let app = app(named: hint) { return .success(app) }
            if let app = all().first(where: { $0.hostname == hint }) { return .success(app) }
        }
        let apps = all()
        switch apps.count {
        case 1:
            return .success(apps[0])
        case 0:
            return .failure(ManagementError(hint.isEmpty ? "no app is loaded" : ManagementService.unknownApp(hint)))
        default:
            let names = apps.map(\.name).joined(separator: ", ")
            let what = hint.isEmpty ? "no app was named" : "'\(hint)' names no loaded app"
            return .failure(ManagementError("\(what) and \(apps.count) apps are loaded ([\(names)]); name one "
                + "(for HTTP, as the first label of the Host header: <app>.example)"))
        }
    }
}
