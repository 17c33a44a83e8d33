import AccountDatabase
import PAMMySQLCore

/// Called by every `pam_sm_*` export of the C shim (Sources/CShim/entry_points.c). Local to
/// the module: the linker map exports only the `pam_sm_*` functions.
@_cdecl("pam_mysql_dispatch")
public func pamMySQLDispatch(
    _ call: Int32, _ handle: OpaquePointer?, _ flags: Int32, _ argc: Int32,
    _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let handle, let call = PAMCall(rawValue: call) else { return Outcome.serviceError.pamCode }
    // pam_mysql's setcred does nothing, not even parse its arguments.
    if call == .setcred { return Outcome.success.pamCode }
    // Idle connections past their time are closed now: no thread of ours runs in the host.
    ConnectionPool.shared.sweep()
    let pam = PAMHandle(raw: handle)
    let outcome = run(call, pam: pam, flags: flags, arguments: copyArguments(argc, argv))
    return outcome.pamCode
}

private func copyArguments(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> [SecretBytes] {
    guard let argv, argc > 0 else { return [] }
    return (0..<Int(argc)).compactMap { argv[$0].map { SecretBytes(cString: $0) } }
}

/// The common prologue of pam_mysql's entry points (context, arguments, config file, user),
/// then the function's own flow, then the epilogue (`disconnect_every_op`).
private func run(_ call: PAMCall, pam: PAMHandle, flags: Int32, arguments: [SecretBytes]) -> Outcome {
    guard let context = ModuleContext.retrieve(pam) else {
        pam.log(.crit, "cannot store the module context in the PAM handle")
        return .bufferError
    }
    if let refusal = context.refusedConfiguration {
        pam.log(.err, refusal.message)
        return .serviceError
    }
    do {
        try ModuleConfiguration.update(&context.options, arguments: arguments) { pam.log($0, $1) }
    } catch {
        // Fails closed, for this call and the rest of the transaction (see refusedConfiguration).
        context.refusedConfiguration = error
        pam.log(.err, error.message)
        return .serviceError
    }
    let verbose = context.options.verbose
    if verbose { pam.log(.debug, "\(call.functionName)() called.") }
    let privileged = SecureExecution.isActive
    if let refusal = SecureExecution.refusal(privileged: privileged) {
        // Before the first libmariadb call of this process, which would load what it names.
        pam.log(.err, refusal)
        return .serviceError
    }
    // A set-uid host's later life (the caller's shell, a changed uid) is not ours to trust with
    // an open connection.
    context.session.poolsConnections = !privileged
    let outcome = LoginDeadline.with(seconds: context.options.loginTimeout) {
        runFlow(call, pam: pam, context: context, flags: PAMFlags(rawValue: flags))
    }
    if context.options.disconnectEveryOperation { context.session.drop() }
    if verbose { pam.log(.debug, "\(call.functionName)() returning \(outcome.pamCode).") }
    return outcome
}

private func runFlow(_ call: PAMCall, pam: PAMHandle, context: ModuleContext, flags: PAMFlags) -> Outcome {
    let user: [UInt8]
    switch pam.user() {
    case .failure(let outcome): return outcome
    case .success(let name): user = name
    }
    for (name, value) in [("user", context.options.user), ("db", context.options.db)] where value == nil {
        pam.log(.err, "required option \"\(name)\" is not set")
        // pam_mysql's chauthtok answers any failure of its preliminary check with TRY_AGAIN.
        return call == .changeAuthToken && flags.contains(.preliminaryCheck) ? .tryAgain : .serviceError
    }
    let moduleCall = ModuleCall(pam: pam, context: context, flags: flags, user: user)
    switch call {
    case .authenticate: return moduleCall.authenticate()
    case .accountManagement: return moduleCall.manageAccount()
    case .changeAuthToken: return moduleCall.changeAuthToken()
    case .openSession: return moduleCall.runSession(opening: true)
    case .closeSession: return moduleCall.runSession(opening: false)
    case .setcred: return .success
    }
}
