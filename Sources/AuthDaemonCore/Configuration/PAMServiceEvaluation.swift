/// A whole request for one service, as saslauthd's PAM path runs it: the auth stack, then after
/// a success the account stack (when the plan has one) with the options the auth stack left.
/// A state machine like `PAMStackEvaluator`: `next()`, run the call, `record`, until finished.
public struct PAMServiceEvaluation<Failure> {
    public enum Next {
        case run(PAMModuleCall)
        case finished(PAMServiceResult<Failure>)
    }

    public let plan: PAMServicePlan
    private var phase = PAMPhase.authenticate
    private var stack: PAMStackEvaluator<Failure>

    public init(plan: PAMServicePlan) {
        self.plan = plan
        stack = PAMStackEvaluator(steps: plan.authentication)
    }

    public mutating func next() -> Next {
        while true {
            switch stack.next() {
            case .run(_, let step):
                guard case .mysql(let options) = step.module else { continue }
                return .run(PAMModuleCall(phase: phase, line: step.line, control: step.control, options: options))
            case .finished(.failure(let failure)):
                return .finished(phase == .authenticate ? .authenticationFailed(failure) : .accountFailed(failure))
            case .finished(.success):
                guard phase == .authenticate else { return .finished(.success) }
                let account = plan.accountSteps(afterAuthenticationEndedAt: stack.lastIndexRun)
                guard !account.isEmpty else { return .finished(.success) }
                phase = .account
                stack = PAMStackEvaluator(steps: account)
            }
        }
    }

    public mutating func record(_ result: PAMStepResult<Failure>) {
        stack.record(result)
    }

    /// Runs the whole request with `run` for each pam_mysql call.
    public static func evaluate<E: Error>(
        _ plan: PAMServicePlan, run: (PAMModuleCall) throws(E) -> PAMStepResult<Failure>
    ) throws(E) -> PAMServiceResult<Failure> {
        var evaluation = PAMServiceEvaluation(plan: plan)
        while true {
            switch evaluation.next() {
            case .finished(let result): return result
            case .run(let call): evaluation.record(try run(call))
            }
        }
    }

    /// The same, for a daemon whose steps are asynchronous.
    public static func evaluate<E: Error>(
        _ plan: PAMServicePlan, run: (PAMModuleCall) async throws(E) -> PAMStepResult<Failure>
    ) async throws(E) -> PAMServiceResult<Failure> {
        var evaluation = PAMServiceEvaluation(plan: plan)
        while true {
            switch evaluation.next() {
            case .finished(let result): return result
            case .run(let call): evaluation.record(try await run(call))
            }
        }
    }
}
