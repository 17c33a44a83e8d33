import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// libpam's stack walk, as a truth table. A step is written `<control><result>`: control R
/// (required), Q (requisite), S (sufficient); result `+` success, `-x` failure tagged x, `i`
/// PAM_IGNORE, `P` pam_permit, `D` pam_deny. The verdict is `+`, `-x` (the failure tagged x),
/// `D<line>` (pam_deny on that line) or `none` (nothing counted: PAM_PERM_DENIED); `ran` lists
/// the pam_mysql steps run, by index.
final class PAMStackEvaluatorTests: XCTestCase {
    static let table: [(stack: String, verdict: String, ran: [Int])] = [
        ("R+", "+", [0]),
        ("R-a", "-a", [0]),
        ("R-a R-b", "-a", [0, 1]),
        ("R-a R+", "-a", [0, 1]),
        ("R+ R-b", "-b", [0, 1]),
        ("Q-a R+", "-a", [0]),
        ("R-a Q-b R+", "-a", [0, 1]),
        ("Q+ R+", "+", [0, 1]),
        ("S+ R-a", "+", [0]),
        ("S-a R+", "+", [0, 1]),
        ("S-a", "none", [0]),
        ("S-a S-b", "none", [0, 1]),
        ("R-a S+ R+", "-a", [0, 1, 2]),
        ("R+ S+ R-b", "+", [0, 1]),
        ("Ri", "none", [0]),
        ("Ri R+", "+", [0, 1]),
        ("Qi S-a", "none", [0, 1]),
        ("S+", "+", [0]),
        ("R+ Si", "+", [0, 1]),
        ("Q+ S-a", "+", [0, 1]),
        ("S-a Q-b R+", "-b", [0, 1]),
        ("R+ RD", "D2", [0]),
        ("SP R-a", "+", []),
        ("QD R+", "D1", []),
        ("R-a SP", "-a", [0]),
        ("RP", "+", []),
        ("RD", "D1", []),
        ("SD R+", "+", [1]),
        ("R-a QD R+", "-a", [0]),
        ("RP R-a", "-a", [1]),
    ]

    /// Builds the steps of a table row (lines numbered from 1) with each pam_mysql step's result.
    static func steps(_ text: String) -> ([PAMStep], [Int: PAMStepResult<String>]) {
        var steps: [PAMStep] = []
        var results: [Int: PAMStepResult<String>] = [:]
        for (index, word) in text.split(separator: " ").enumerated() {
            let control: PAMControl =
                switch word.first {
                case "R": .required
                case "Q": .requisite
                default: .sufficient
                }
            let rest = word.dropFirst()
            switch rest.first {
            case "P": steps.append(PAMStep(line: index + 1, control: control, module: .permit))
            case "D": steps.append(PAMStep(line: index + 1, control: control, module: .deny))
            default:
                steps.append(PAMStep(line: index + 1, control: control, module: .mysql(ModuleOptions())))
                results[index] =
                    switch rest.first {
                    case "+": .success
                    case "i": .ignore
                    default: .failure(String(rest.dropFirst()))
                    }
            }
        }
        return (steps, results)
    }

    static func describe(_ result: PAMStackResult<String>) -> String {
        switch result {
        case .success: "+"
        case .failure(.module(_, let tag)): "-\(tag)"
        case .failure(.denied(let line)): "D\(line)"
        case .failure(.noSuccess): "none"
        }
    }

    func testTruthTable() {
        for row in Self.table {
            let (steps, results) = Self.steps(row.stack)
            var ran: [Int] = []
            let verdict = PAMStackEvaluator<String>.evaluate(steps) { index, _ in
                ran.append(index)
                return results[index]!
            }
            XCTAssertEqual(Self.describe(verdict), row.verdict, row.stack)
            XCTAssertEqual(ran, row.ran, row.stack)
        }
    }

    /// The failure carries the line of the step that failed first.
    func testFailureNamesTheFirstFailingLine() {
        let (steps, results) = Self.steps("R+ R-a R-b")
        let verdict = PAMStackEvaluator<String>.evaluate(steps) { index, _ in results[index]! }
        guard case .failure(.module(let line, let tag)) = verdict else { return XCTFail("\(verdict)") }
        XCTAssertEqual(line, 2)
        XCTAssertEqual(tag, "a")
    }

    /// The state machine the daemon drives step by step gives the same verdicts as `evaluate`.
    func testStateMachineMatchesTheTable() {
        for row in Self.table {
            let (steps, results) = Self.steps(row.stack)
            var evaluator = PAMStackEvaluator<String>(steps: steps)
            var verdict: PAMStackResult<String>?
            var rounds = 0
            while verdict == nil, rounds < 100 {
                rounds += 1
                switch evaluator.next() {
                case .finished(let result): verdict = result
                case .run(let index, let step):
                    guard case .mysql = step.module else { return XCTFail("asked to run a permit or deny step") }
                    evaluator.record(results[index]!)
                }
            }
            XCTAssertEqual(verdict.map(Self.describe), row.verdict, row.stack)
            // Asking again after the verdict repeats it.
            if case .finished(let again) = evaluator.next() {
                XCTAssertEqual(Self.describe(again), row.verdict)
            } else {
                XCTFail("a finished evaluator asked for another step")
            }
        }
    }

    func testEmptyStackIsNoSuccess() {
        let verdict = PAMStackEvaluator<String>.evaluate([]) { _, _ in .success }
        XCTAssertEqual(Self.describe(verdict), "none")
    }
}
