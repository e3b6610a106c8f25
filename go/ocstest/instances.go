// Waiting for an instance, through the SDK's typed DescribeCompShareInstance.

package ocstest

import (
	"fmt"
	"time"
)

// Gone is the state State answers for an instance that DescribeCompShareInstance no longer lists.
const Gone = "(gone)"

// WaitTimeout bounds WaitState.
var WaitTimeout = 60 * time.Second

// State is the instance's State ("Running", "Stopped", "Rebooting", …), or Gone.
func (s *Server) State(uhostID string) (string, error) {
	cs := s.CompShare()
	req := cs.NewDescribeCompShareInstanceRequest()
	req.UHostIds = []string{uhostID}
	resp, err := cs.DescribeCompShareInstance(req)
	if err != nil {
		return "", err
	}
	for _, h := range resp.UHostSet {
		if h.UHostId == uhostID {
			return h.State, nil
		}
	}
	return Gone, nil
}

// WaitState polls the instance until it is in state (or Gone), for WaitTimeout at most.
func (s *Server) WaitState(uhostID, state string) error {
	deadline := time.Now().Add(WaitTimeout)
	var seen []string
	for {
		st, err := s.State(uhostID)
		if err != nil {
			return err
		}
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if st == state {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not %s after %s (states seen: %v)", uhostID, state, WaitTimeout, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
