// The operator's review of community versions: `ocs image review IMAGE --approve` (or --reject
// --reason TEXT) on the server's data, the command line given by test/compat/run.ts as
// OCS_COMPAT_REVIEW_COMMAND (a JSON array). A published version is Reviewing until then.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
)

// publishRequest is PublishCompShareImage with the docs' VersionName and GroupId, which the SDK
// model lacks (its typed method is answered 220: VersionName is required).
type publishRequest struct {
	request.CommonBase
	CompShareImageId, GroupId, CommunityImageName, VersionName, VersionDesc *string
	Description, Readme, AutoStart                                          *string
	Price                                                                   *float64
	Tags                                                                    []string
	Softwares                                                               *ucompshare.PublishCompShareImageParamSoftwares
}

type reviewed struct {
	CompShareImageId, GroupId, VersionName, Status, FailedReason string
}

func operatorReview(image string, approve bool, reason string) (*reviewed, error) {
	var command []string
	if err := json.Unmarshal([]byte(mustEnv("OCS_COMPAT_REVIEW_COMMAND")), &command); err != nil || len(command) == 0 {
		return nil, fmt.Errorf("OCS_COMPAT_REVIEW_COMMAND is not a JSON array of strings: %v", err)
	}
	verdict := []string{"--approve"}
	if !approve {
		verdict = []string{"--reject", "--reason", reason}
	}
	args := append(append(command[1:len(command):len(command)], image), verdict...)
	cmd := exec.Command(command[0], args...)
	cmd.Env = os.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ocs image review %s %s: %v: %s", image, strings.Join(verdict, " "), err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	got := &reviewed{}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), got); err != nil {
		return nil, fmt.Errorf("ocs image review printed %q: %v", out, err)
	}
	return got, nil
}

// approve approves the version and checks that it is Available.
func approve(image string) error {
	got, err := operatorReview(image, true, "")
	if err != nil {
		return err
	}
	return equal(got.Status, "Available", "Status after ocs image review --approve")
}
