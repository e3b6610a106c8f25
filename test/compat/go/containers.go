// A container instance (made from an App image): InstanceType Container, its HTTP and TCP ports
// (refused on a virtual machine), and its termination at the end. The custom image made from it is
// in container_images.go, shared in sharing.go and published in community.go.
package main

import (
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func updatePorts(client *sdk, id string, http, tcp []int) (*ucompshare.UpdateCompShareInstancePortsResponse, error) {
	req := client.NewUpdateCompShareInstancePortsRequest()
	onZone(req)
	req.UHostId = ucloud.String(id)
	req.HttpPorts = http
	req.TcpPorts = tcp
	return client.UpdateCompShareInstancePorts(req)
}

func softwareNames(id string) []string {
	var names []string
	for _, sw := range mustDescribe(c, id).Softwares {
		names = append(names, sw.Name)
	}
	return names
}

func container() error {
	id := createNamed(c, "go-container", func(r *ucompshare.CreateCompShareInstanceRequest) { r.CompShareImageId = ucloud.String(pytorch) })
	s.state["container"] = id
	return equal(mustDescribe(c, id).InstanceType, "Container", "InstanceType of an App image's instance")
}

func ports() error {
	id := s.state["container"]
	resp, err := updatePorts(c, id, []int{8080, 8081}, []int{6006})
	must(c.ok(resp, err))
	must(equal(resp.UHostId, id, "UHostId"))
	names := softwareNames(id)
	for _, want := range []string{"JupyterLab", "HTTP:8080", "HTTP:8081", "TCP:6006"} {
		expect(contains(names, want), "%s missing from Softwares %v", want, names)
	}
	resp, err = updatePorts(c, id, []int{9000}, nil)
	must(c.ok(resp, err))
	names = softwareNames(id)
	expect(contains(names, "HTTP:9000") && !contains(names, "HTTP:8080") && contains(names, "TCP:6006"), "HttpPorts replaced, TcpPorts kept: %v", names)
	bad, err := updatePorts(c, id, []int{70000}, nil)
	must(expectPrefix(bad, err, 230, "Params [HttpPorts"))
	bad, err = updatePorts(c, notFound, []int{8080}, nil)
	must(expectCode(bad, err, 8039, "InstanceNotFound", ""))
	bad, err = updatePorts(other, id, []int{8080}, nil)
	return expectCode(bad, err, 8039, "InstanceNotFound", "")
}

func portsOnVM() error {
	vm := createNamed(c, "go-vm-ports", nil)
	defer terminateAndWait(c, vm)
	bad, err := updatePorts(c, vm, []int{8080}, nil)
	return expectPrefix(bad, err, 230, "Params [UHostId] not available")
}

func containerCleanup() error {
	terminateAndWait(c, s.state["container"])
	return nil
}
