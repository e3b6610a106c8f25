// The seed's Go example (seed/main.go), run as its own program: only BaseUrl, the keys and the
// UHostId changed. The checks run it on an instance the suite made, Running, then Stopped, then
// terminated, and read what it prints.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func runSeed(id string) (string, error) {
	cmd := exec.Command(env.seedBin)
	cmd.Env = append(os.Environ(), "OCS_COMPAT_UHOST_ID="+id)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("the seed example failed: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// hasLine: a line of out starts with prefix (the SDK's logger writes its warning to stdout too).
func hasLine(out, prefix string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

func seedReboots() error {
	id, err := createRunning(c, "go-seed")
	if err != nil {
		return err
	}
	s.state["seed"] = id
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "重启成功: "+id) {
		return fmt.Errorf("the seed's output: %q", out)
	}
	if err := equal(out, "重启成功: "+id, "the seed's output"); err != nil {
		return err
	}
	_, err = waitState(c, id, "Running")
	return err
}

func seedOnStopped() error {
	id := s.state["seed"]
	if err := stopAndWait(c, id); err != nil {
		return err
	}
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "调用失败: RetCode=8905 Msg=InstanceStateInvalid: ") || !strings.Contains(out, id) {
		return fmt.Errorf("the seed should print the 8905 error naming the instance: %q", out)
	}
	return nil
}

func seedOnTerminated() error {
	id := s.state["seed"]
	resp, err := terminateStopped(c, id)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if err := waitGone(c, id); err != nil {
		return err
	}
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "调用失败: RetCode=8039 Msg=InstanceNotFound: ") {
		return fmt.Errorf("the seed should print the 8039 error: %q", out)
	}
	return nil
}
