/// libpam's stack walk (`_pam_dispatch_aux`) for the three controls the daemon accepts, as a
/// state machine so the daemon can run each step however it likes (a blocking pool, a future):
/// call `next()`, run the pam_mysql step it names, `record` the result, until it is finished.
/// `pam_permit` and `pam_deny` steps are applied inside `next()`.
///
/// - required: a failure is remembered (the first one is the verdict), the walk goes on.
/// - requisite: a failure ends the walk now (with the first failure remembered).
/// - sufficient: a success ends the walk with success if no earlier step failed; after an
///   earlier failure it changes nothing and the walk goes on; a failure is ignored.
/// - a walk that ends with neither a success nor a failure that counts is `noSuccess`.
public struct PAMStackEvaluator<Failure> {
    public enum Next {
        /// Run the step at `index` of the stack (always a pam_mysql step), then `record` it.
        case run(index: Int, step: PAMStep)
        case finished(PAMStackResult<Failure>)
    }

    /// libpam's "impression"; a negative one keeps the first failure, which is the verdict.
    private enum Impression {
        case undefined, positive
        case negative(PAMStackFailure<Failure>)
    }

    public let steps: [PAMStep]
    private var position = 0
    private var impression = Impression.undefined
    private var verdict: PAMStackResult<Failure>?
    private var awaiting: Int?
    /// The index of the last step run (permit and deny included), -1 before any: which lines'
    /// options the module would have seen, for the account stack after it.
    public private(set) var lastIndexRun = -1

    public init(steps: [PAMStep]) {
        self.steps = steps
    }

    public mutating func next() -> Next {
        precondition(awaiting == nil, "PAMStackEvaluator.next() called before the running step was recorded")
        while true {
            if let verdict { return .finished(verdict) }
            guard position < steps.count else {
                let result = finalVerdict()
                verdict = result
                return .finished(result)
            }
            let index = position
            let step = steps[index]
            switch step.module {
            case .mysql:
                awaiting = index
                return .run(index: index, step: step)
            case .permit: apply(.success, at: index)
            case .deny: apply(.failure(.denied(line: step.line)), at: index)
            }
        }
    }

    /// Records the result of the step `next()` asked for.
    public mutating func record(_ result: PAMStepResult<Failure>) {
        guard let index = awaiting else { preconditionFailure("PAMStackEvaluator.record(_:) without a running step") }
        awaiting = nil
        switch result {
        case .success: apply(.success, at: index)
        case .ignore: apply(.ignore, at: index)
        case .failure(let failure): apply(.failure(.module(line: steps[index].line, failure)), at: index)
        }
    }

    private enum Outcome {
        case success, ignore
        case failure(PAMStackFailure<Failure>)
    }

    private mutating func apply(_ outcome: Outcome, at index: Int) {
        lastIndexRun = index
        position = index + 1
        let control = steps[index].control
        switch outcome {
        case .ignore:
            return
        case .success:
            // OK or DONE: a success counts unless a failure was already remembered.
            if case .negative = impression { return }
            impression = .positive
            if control.action(for: .success) == .done { verdict = .success }
        case .failure(let failure):
            let action = control.action(for: .failure)
            guard action == .bad || action == .die else { return }
            if case .negative(let first) = impression {
                if action == .die { verdict = .failure(first) }
                return
            }
            impression = .negative(failure)
            if action == .die { verdict = .failure(failure) }
        }
    }

    private func finalVerdict() -> PAMStackResult<Failure> {
        switch impression {
        case .positive: .success
        case .negative(let first): .failure(first)
        case .undefined: .failure(.noSuccess)
        }
    }

    /// Runs the whole stack with `run` for each pam_mysql step.
    public static func evaluate<E: Error>(
        _ steps: [PAMStep], run: (Int, PAMStep) throws(E) -> PAMStepResult<Failure>
    ) throws(E) -> PAMStackResult<Failure> {
        var evaluator = PAMStackEvaluator(steps: steps)
        while true {
            switch evaluator.next() {
            case .finished(let result): return result
            case .run(let index, let step): evaluator.record(try run(index, step))
            }
        }
    }
}
