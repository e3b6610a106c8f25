// The test controls, each an action of the server's testing mode called through the SDK's
// generic request (NewGenericRequest, InvokeAction), signed like any call.

package ocstest

import (
	"errors"
	"fmt"

	"github.com/ucloud/ucloud-sdk-go/ucloud/response"

	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
)

// Error is an action's refusal: its RetCode and Message, or the SDK's own failure (RetCode -1).
type Error struct {
	Action      string
	RetCode     int
	Message     string
	RequestUUID string
	Err         error // the SDK's error
}

func (e *Error) Error() string {
	if e.RetCode < 0 {
		return fmt.Sprintf("%s: %v", e.Action, e.Err)
	}
	return fmt.Sprintf("%s: RetCode %d: %s", e.Action, e.RetCode, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Code is the RetCode of an error of this package or of the SDK's typed calls: 0 for nil, -1 for
// a failure without one (the network, a body that is not JSON).
func Code(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.RetCode
	}
	var sdk uerr.Error
	if errors.As(err, &sdk) && sdk.Name() == uerr.ErrRetCode {
		return sdk.Code()
	}
	return -1
}

// InstanceOperationInProgress is the RetCode of a call refused while an operation holds the instance
// (and of Snapshot, Restore and Reset while operations are in flight).
const InstanceOperationInProgress = 226610

// Invoke calls any action with params (Region and Zone are the server's unless set) and
// answers its body. A RetCode other than 0 is an *Error.
func (s *Server) Invoke(action string, params map[string]any) (map[string]any, error) {
	resp, err := s.invoke(action, params)
	if err != nil {
		return nil, err
	}
	return resp.GetPayload(), nil
}

func (s *Server) invoke(action string, params map[string]any) (response.GenericResponse, error) {
	payload := map[string]any{"Action": action}
	for k, v := range params {
		payload[k] = v
	}
	req := s.client.NewGenericRequest()
	if err := req.SetPayload(payload); err != nil {
		return nil, &Error{Action: action, RetCode: -1, Err: err}
	}
	resp, err := s.client.GenericInvoke(req)
	if err != nil {
		e := &Error{Action: action, RetCode: -1, Err: err, RequestUUID: resp.GetRequestUUID()}
		var sdk uerr.Error
		if errors.As(err, &sdk) && sdk.Name() == uerr.ErrRetCode {
			e.RetCode, e.Message = sdk.Code(), sdk.Message()
		}
		return nil, e
	}
	return resp, nil
}

// call is invoke, with the answer decoded into out.
func (s *Server) call(action string, params map[string]any, out any) error {
	resp, err := s.invoke(action, params)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := resp.Unmarshal(out); err != nil {
		return &Error{Action: action, RetCode: -1, Err: err, RequestUUID: resp.GetRequestUUID()}
	}
	return nil
}

// Clock is the server's time (DescribeCompShareClock).
type Clock struct {
	Time          int64 // Unix seconds
	TimeMs        int64
	OffsetSeconds float64 // how far ahead of the real clock
}

// Advanced is what AdvanceCompShareClock did: the clock after it, and the policy work it ran.
type Advanced struct {
	Clock
	Billed, Renewed, PolicySteps, ScheduledStops, OperationsSettled int
}

// Advance moves the server's clock forward by seconds. It answers once the policy steps that
// fell due (billing, renewals, reclaim timelines, scheduled stops) have been applied.
func (s *Server) Advance(seconds float64) (Advanced, error) {
	var out Advanced
	err := s.call("AdvanceCompShareClock", map[string]any{"Seconds": seconds}, &out)
	return out, err
}

// Clock answers the server's time and how far it has been advanced.
func (s *Server) Clock() (Clock, error) {
	var out Clock
	err := s.call("DescribeCompShareClock", nil, &out)
	return out, err
}
