// Faults in the machines, and snapshots of the whole state.

package ocstest

// FaultSpec arms a fault (ArmCompShareFault): the next Times calls of Method (on UHostID, or
// on any machine) fail with Message, hang until their operation gives up, take DelayMs longer
// (slow), or act and answer DelayMs late (late).
type FaultSpec struct {
	// A machine-contract method: reboot, hardReboot, powerOn, powerOff, snapshot, …
	Method string
	// fail, hang, slow or late.
	Mode string
	// Optional: the instance (or disk, or image) it is limited to.
	UHostID string
	// Optional: how many calls it catches (the server's default: 1).
	Times   int
	DelayMs int
	Message string
}

// Fault is an armed fault as DescribeCompShareFaults lists it.
type Fault struct {
	FaultId, Method, Mode, UHostId string
	Times, Remaining, Fired        int
	DelayMs                        int
	Message                        string
	CreateTime                     int64
}

// Fault arms a fault and answers its FaultId.
func (s *Server) Fault(spec FaultSpec) (string, error) {
	params := map[string]any{"Method": spec.Method, "Mode": spec.Mode}
	if spec.UHostID != "" {
		params["UHostId"] = spec.UHostID
	}
	if spec.Times != 0 {
		params["Times"] = spec.Times
	}
	if spec.DelayMs != 0 {
		params["DelayMs"] = spec.DelayMs
	}
	if spec.Message != "" {
		params["Message"] = spec.Message
	}
	var out struct{ FaultId string }
	err := s.call("ArmCompShareFault", params, &out)
	return out.FaultId, err
}

// Faults lists the faults armed, oldest first, spent ones too, with the calls each has caught.
func (s *Server) Faults() ([]Fault, error) {
	var out struct{ FaultSet []Fault }
	err := s.call("DescribeCompShareFaults", nil, &out)
	return out.FaultSet, err
}

// ClearFaults clears the fault id, or every fault when id is "", and answers how many it cleared.
// A call already caught by a hang stays hung until its operation gives up.
func (s *Server) ClearFaults(id string) (int, error) {
	params := map[string]any{}
	if id != "" {
		params["FaultId"] = id
	}
	var out struct{ Cleared int }
	err := s.call("ClearCompShareFaults", params, &out)
	return out.Cleared, err
}

// Snapshot is a saved state as DescribeCompShareSnapshots lists it.
type Snapshot struct {
	Name       string
	CreateTime int64 // Unix seconds, by the server's clock
	Size       int64 // bytes
}

// Snapshot saves the whole state (accounts, instances, disks, images, ledger, clock, faults)
// under name, replacing a snapshot of that name. It answers 226610 while operations are in flight.
func (s *Server) Snapshot(name string) error {
	return s.call("SaveCompShareSnapshot", map[string]any{"Name": name, "Overwrite": true}, nil)
}

// Restore puts the state saved under name back, the clock's offset included.
func (s *Server) Restore(name string) error {
	return s.call("RestoreCompShareSnapshot", map[string]any{"Name": name}, nil)
}

// Snapshots lists the snapshots saved, oldest first.
func (s *Server) Snapshots() ([]Snapshot, error) {
	var out struct{ SnapshotSet []Snapshot }
	err := s.call("DescribeCompShareSnapshots", nil, &out)
	return out.SnapshotSet, err
}

// DeleteSnapshot deletes the snapshot saved under name.
func (s *Server) DeleteSnapshot(name string) error {
	return s.call("DeleteCompShareSnapshot", map[string]any{"Name": name}, nil)
}

// Reset returns the server to a fresh state: no instances, disks, images, bills, faults, and
// the real clock; the operator keeps its account, keys and initial balance. Snapshots are kept.
func (s *Server) Reset() error {
	return s.call("ResetCompShareState", nil, nil)
}
