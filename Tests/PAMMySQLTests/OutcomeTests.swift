import AccountDatabase
import CPAM
import PAMMySQL
import PAMMySQLCore
import XCTest

final class OutcomeTests: XCTestCase {
    /// The one outcome-to-PAM-code table, pinned against Linux-PAM's header.
    func testOutcomeCodesMatchLinuxPAM() {
        let expected: [Outcome: Int32] = [
            .success: PAM_SUCCESS, .serviceError: PAM_SERVICE_ERR, .systemError: PAM_SYSTEM_ERR,
            .bufferError: PAM_BUF_ERR, .permissionDenied: PAM_PERM_DENIED, .authError: PAM_AUTH_ERR,
            .authInfoUnavailable: PAM_AUTHINFO_UNAVAIL, .userUnknown: PAM_USER_UNKNOWN,
            .newAuthtokRequired: PAM_NEW_AUTHTOK_REQD, .accountExpired: PAM_ACCT_EXPIRED,
            .authtokRecoveryError: PAM_AUTHTOK_RECOVERY_ERR, .authtokError: PAM_AUTHTOK_ERR,
            .authtokLockBusy: PAM_AUTHTOK_LOCK_BUSY, .tryAgain: PAM_TRY_AGAIN, .ignore: PAM_IGNORE,
            .authtokExpired: PAM_AUTHTOK_EXPIRED, .conversationError: PAM_CONV_ERR, .abort: PAM_ABORT,
            .conversationAgain: PAM_CONV_AGAIN, .incomplete: PAM_INCOMPLETE,
        ]
        XCTAssertEqual(expected.count, Outcome.allCases.count)
        for outcome in Outcome.allCases {
            XCTAssertEqual(outcome.pamCode, expected[outcome], "\(outcome)")
        }
    }
}

/// The one mapping from the database layer's decisions to PAM codes.
final class DecisionToPAMCodeTests: XCTestCase {
    func testLoginDecisions() {
        let unreachable = DatabaseError(kind: .unavailable, code: 2003, message: "down")
        let badSQL = DatabaseError(kind: .statement, code: 1146, message: "no table")
        let vectors: [(LoginDecision, Int32)] = [
            (.accepted(.passwordVerified), PAM_SUCCESS),
            (.accepted(.emptyPasswordAllowed), PAM_SUCCESS),
            (.refused(.wrongPassword), PAM_AUTH_ERR),
            (.refused(.unknownUser), PAM_USER_UNKNOWN),
            (.refused(.noPassword), PAM_AUTH_ERR),
            (.refused(.emptyStoredPassword), PAM_AUTH_ERR),
            (.refused(.passwordTooLong), PAM_AUTH_ERR),
            (.refused(.malformedStoredValue(reason: "x")), PAM_AUTH_ERR),
            (.temporaryFailure(unreachable), PAM_AUTHINFO_UNAVAIL),
            (.configurationError(.database(badSQL)), PAM_SERVICE_ERR),
            (.configurationError(.multipleRows(2)), PAM_SERVICE_ERR),
            (.configurationError(.malformedStoredValue(reason: "x")), PAM_SERVICE_ERR),
        ]
        for (decision, code) in vectors {
            XCTAssertEqual(Outcome(decision).pamCode, code, "\(decision)")
        }
    }

    func testAccountDecisions() {
        let vectors: [(AccountDecision, Int32)] = [
            (.status(.allowed, bits: 0, readByAuthentication: true), PAM_SUCCESS),
            (.status(.expired, bits: 1, readByAuthentication: false), PAM_ACCT_EXPIRED),
            (.status(.passwordExpired, bits: 2, readByAuthentication: false), PAM_AUTHTOK_EXPIRED),
            (.status(.newPasswordRequired, bits: 6, readByAuthentication: false), PAM_NEW_AUTHTOK_REQD),
            (.failed(.refused(.unknownUser)), PAM_USER_UNKNOWN),
            (.failed(.temporaryFailure(DatabaseError(kind: .unavailable, code: 2013, message: "lost"))), PAM_AUTHINFO_UNAVAIL),
        ]
        for (decision, code) in vectors {
            XCTAssertEqual(Outcome(decision).pamCode, code, "\(decision)")
        }
    }
}
