package paycancel

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/paycancel/paycancel/workflows/contract"
)

// Ref names one merchant's order at a provider: the identity of its cancel.
type Ref struct {
	// Merchant is the paycancel merchant (merchants.<name> in the worker's
	// configuration), Provider the provider, MerchantOrderNo the order number.
	Merchant        string
	Provider        string
	MerchantOrderNo string
	// Credential is optional. It lets Find address a cancel started before
	// merchant-scoped ids whose history does not say whose it is (its credential
	// was unknown when it started): the credential it was started with says so.
	Credential string
}

// WorkflowID is the merchant-scoped workflow id of ref's cancel.
func (r Ref) WorkflowID() string {
	return contract.WorkflowID(r.Merchant, r.Provider, r.MerchantOrderNo)
}

func (r Ref) String() string { return r.Merchant + "/" + r.Provider + "/" + r.MerchantOrderNo }

// Validate checks the three parts of the identity.
func (r Ref) Validate() error {
	var problems []string
	if r.Merchant == "" {
		problems = append(problems, "merchant is required")
	} else if err := contract.CheckMerchantName(r.Merchant); err != nil {
		problems = append(problems, "merchant "+err.Error())
	}
	if !contract.IsProvider(r.Provider) {
		problems = append(problems, fmt.Sprintf("provider %q is not one of %s", r.Provider, strings.Join(contract.ProviderNames, ", ")))
	}
	if err := contract.CheckOrderNo(r.Provider, r.MerchantOrderNo); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Find returns ref's cancel: the merchant-scoped one; else (unless
// Options.NoLegacyIDs) the order's cancel started before merchant-scoped ids
// (contract.LegacyWorkflowID) when its own history says it is ref.Merchant's —
// the merchant it was started for, or, when that is not recorded, ref.Credential
// matching the credential it was started with. A legacy cancel recorded as another
// merchant's is not this merchant's: ErrNotFound. One whose history does not say
// is refused as ambiguous (*AmbiguousError) unless ref.Credential settles it:
// never a guess, since the order number may be another merchant's.
func (c *Client) Find(ctx context.Context, ref Ref) (*Cancel, error) {
	if err := ref.Validate(); err != nil {
		return nil, &InvalidRequestError{err}
	}
	id := ref.WorkflowID()
	var nf *serviceerror.NotFound
	_, err := c.tc.DescribeWorkflowExecution(ctx, id, "")
	if err == nil {
		return c.Attach(ref), nil
	}
	if !errors.As(err, &nf) {
		return nil, fmt.Errorf("describing %s: %w", id, err)
	}
	if c.opts.NoLegacyIDs {
		return nil, &NotFoundError{WorkflowID: id}
	}
	legacy := contract.LegacyWorkflowID(ref.Provider, ref.MerchantOrderNo)
	rec, err := contract.ReadRecorded(ctx, c.tc, legacy, "")
	if errors.As(err, &nf) {
		return nil, &NotFoundError{WorkflowID: id}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", legacy, err)
	}
	switch {
	case rec.Merchant == ref.Merchant:
	case rec.Merchant != "":
		return nil, &NotFoundError{WorkflowID: id} // the same number at another merchant
	case ref.Credential == "":
		return nil, &AmbiguousError{WorkflowID: legacy, Reason: fmt.Sprintf(
			"no cancel %s exists; the cancel %s was started before merchant-scoped ids and its history does not say whose it is: name the credential it was started with to address it", id, legacy)}
	case ref.Credential != rec.Credential:
		return nil, &AmbiguousError{WorkflowID: legacy, Reason: fmt.Sprintf(
			"no cancel %s exists; the cancel %s was started before merchant-scoped ids with credential %q, not %q", id, legacy, rec.Credential, ref.Credential)}
	}
	return c.cancel(legacy, "", ref.Merchant, ref.Provider, ref.MerchantOrderNo), nil
}
