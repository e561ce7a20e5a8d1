package alipayglobal

import (
	"time"

	"github.com/paycancel/paycancel/providers"
)

// resultStatus values of body.resultInfo (the payCancel 2.0.2 page, "resultInfo").
const (
	statusSuccess = "S"
	statusFailure = "F"
	statusUnknown = "U"
)

// codeRow is one documented result code.
type codeRow struct {
	ID     string // resultCodeId
	Status string // the resultStatus it comes with
	Kind   providers.Kind
	Reason providers.Reason
}

// Result codes. Names as the provider spells them.
const (
	CodeSuccess                  = "SUCCESS"
	CodeUnknownException         = "UNKNOWN_EXCEPTION"
	CodeProcessFail              = "PROCESS_FAIL"
	CodeParamIllegal             = "PARAM_ILLEGAL"
	CodeInvalidSignature         = "INVALID_SIGNATURE"
	CodeKeyNoFound               = "KEY_NO_FOUND"
	CodeNoInterfaceDef           = "NO_INTERFACE_DEF"
	CodeAccessDenied             = "ACCESS_DENIED"
	CodeUnknownClient            = "UNKNOWN_CLIENT"
	CodeTrafficExceedLimit       = "REQUEST_TRAFFIC_EXCEED_LIMIT"
	CodeOrderStatusInvalid       = "ORDER_STATUS_INVALID"
	CodeOrderNotExist            = "ORDER_NOT_EXIST"
	CodeOrderCancelWindowExpired = "ORDER_CANCEL_WINDOW_EXPIRED"
	CodeSignTypeNotSupport       = "SIGN_TYPE_NOT_SUPPORT"
)

// ResultCodes is every result code of the payCancel 2.0.2 page (the "Functional logic result code"
// and "Basic result code" tables) with its outcome. Every answer is signed (error
// answers too): an unsigned one never reaches this table (readResponse: Unknown). A code not listed here, or one
// arriving with a resultStatus other than its documented one, is Unknown (ask again).
var ResultCodes = map[string]codeRow{
	// Basic result codes.
	CodeSuccess:                   {"00000000", statusSuccess, providers.Succeeded, providers.ReasonNone},
	CodeProcessFail:               {"00000019", statusFailure, providers.Failed, providers.ReasonRejected},
	CodeUnknownException:          {"00000901", statusUnknown, providers.Unknown, providers.ReasonNone},
	CodeParamIllegal:              {"00000004", statusFailure, providers.Failed, providers.ReasonInvalidRequest},
	CodeInvalidSignature:          {"00000007", statusFailure, providers.Failed, providers.ReasonConfiguration},
	CodeKeyNoFound:                {"00000008", statusFailure, providers.Failed, providers.ReasonConfiguration},
	CodeNoInterfaceDef:            {"00000013", statusFailure, providers.Failed, providers.ReasonConfiguration},
	"API_IS_INVALID":              {"00000014", statusFailure, providers.Failed, providers.ReasonConfiguration},
	"OAUTH_FAILED":                {"00000016", statusFailure, providers.Failed, providers.ReasonConfiguration},
	CodeAccessDenied:              {"00000021", statusFailure, providers.Failed, providers.ReasonConfiguration},
	"CLIENT_FORBIDDEN_ACCESS_API": {"12014152", statusFailure, providers.Failed, providers.ReasonConfiguration},
	CodeUnknownClient:             {"12014155", statusFailure, providers.Failed, providers.ReasonConfiguration},
	"INVALID_CLIENT_STATUS":       {"12014156", statusFailure, providers.Failed, providers.ReasonConfiguration},
	// Back off and retry (the provider's API pages); Alipay gives no Retry-After hint.
	CodeTrafficExceedLimit: {"00000024", statusFailure, providers.Failed, providers.ReasonRateLimited},

	// Functional logic result codes.
	"USER_NOT_EXIST":       {"12002005", statusFailure, providers.Failed, providers.ReasonRejected},
	"USER_STATUS_ABNORMAL": {"12002006", statusFailure, providers.Failed, providers.ReasonRejected},
	// The transaction is in a state the cancel cannot act on — for a repeat cancel
	// this may well mean "already cancelled". Query before deciding (the provider's API pages
	// [C]/[I]): Unknown makes the workflow query the payment status.
	CodeOrderStatusInvalid:        {"12005003", statusFailure, providers.Unknown, providers.ReasonNone},
	CodeOrderNotExist:             {"12005004", statusFailure, providers.Failed, providers.ReasonNotFound},
	"MERCHANT_BALANCE_NOT_ENOUGH": {"12006009", statusFailure, providers.Failed, providers.ReasonRejected},
	CodeOrderCancelWindowExpired:  {"12002018", statusFailure, providers.Failed, providers.ReasonWindowExpired},
	"SIGN_TYPE_INVALID":           {"12005134", statusFailure, providers.Failed, providers.ReasonConfiguration},
	CodeSignTypeNotSupport:        {"12005135", statusFailure, providers.Failed, providers.ReasonConfiguration},
}

// resultOutcome maps a resultInfo onto an Outcome.
func resultOutcome(ri ResultInfo) providers.Outcome {
	o := providers.Outcome{Code: ri.ResultCode, Message: ri.ResultMsg}
	row, known := ResultCodes[ri.ResultCode]
	switch {
	case ri.ResultStatus == statusUnknown:
		// U is "unknown" whatever the code: send the cancel again (the provider's API pages).
		o.Kind = providers.Unknown
	case !known || row.Status != ri.ResultStatus:
		o.Kind = providers.Unknown
		if o.Message == "" {
			o.Message = "undocumented resultStatus/resultCode " + ri.ResultStatus + "/" + ri.ResultCode
		}
	default:
		o.Kind, o.Reason = row.Kind, row.Reason
	}
	return o
}

// Payment statuses of payQuery's body.acquirementStatus. [OPEN]: no Alipay page we
// have lists them; INIT/PAYING pending, SUCCESS paid, CLOSED/CANCELLED closed.
// REFUNDED [I] is what the sandbox shows for a paid transaction that a cancel
// reversed. Anything else is Unknown.
var paymentStates = map[string]providers.PaymentState{
	"INIT":      providers.PaymentPending,
	"PAYING":    providers.PaymentPending,
	"SUCCESS":   providers.PaymentPaid,
	"CLOSED":    providers.PaymentClosed,
	"CANCELLED": providers.PaymentClosed,
	"REFUNDED":  providers.PaymentRefunded,
}

// cancelFromPayment derives a cancel's outcome from the payment status (there is no
// cancel query):
//
//	CLOSED, CANCELLED → Succeeded [OPEN]: payCancel closes an unpaid transaction
//	                    (Alipay's alipay.intl.acquiring.common.payCancel 2.0.2 page), and closed, the money
//	                    cannot move; which of the two words payQuery then shows is
//	                    not documented
//	SUCCESS           → Failed/ALREADY_PAID
//	INIT, PAYING      → Pending
//	REFUNDED          → Unknown: paid, then refunded. payCancel refunds a paid
//	                    transaction, but no document lists REFUNDED as a payQuery
//	                    status, and a refund by other means looks the same: it does
//	                    not prove this cancel. The activity then sends payCancel again
//	                    (same transaction, safe to repeat), whose signed S decides.
//	anything else     → Unknown
func cancelFromPayment(st providers.PaymentState) (providers.Kind, providers.Reason) {
	switch st {
	case providers.PaymentClosed:
		return providers.Succeeded, providers.ReasonNone
	case providers.PaymentPaid:
		return providers.Failed, providers.ReasonAlreadyPaid
	case providers.PaymentPending:
		return providers.Pending, providers.ReasonNone
	}
	return providers.Unknown, providers.ReasonNone
}

// Beijing is UTC+8. China has kept no daylight saving time since 1991, so a fixed
// zone is exact and needs no tzdata.
var Beijing = time.FixedZone("Asia/Shanghai", 8*60*60)

// windowBuffer is the grace Alipay leaves past Beijing midnight (the provider's API pages:
// "same Beijing day (+15 min buffer)").
const windowBuffer = 15 * time.Minute

// CancelWindowEnd is when Alipay stops accepting payCancel for a transaction created
// at created: the end of that Beijing (UTC+8) calendar day plus 15 minutes. The
// provider enforces it (ORDER_CANCEL_WINDOW_EXPIRED); callers may use it for the
// workflow's cancel-window deadline.
func CancelWindowEnd(created time.Time) time.Time {
	c := created.In(Beijing)
	midnight := time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, Beijing)
	return midnight.Add(windowBuffer)
}
