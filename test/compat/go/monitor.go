// Monitoring: GetCompShareInstanceMonitor of the Postpay billing instance, typed (the SDK's
// response model has no fields) and through our struct with the docs' Data; a ranged query adds the
// traffic; an unknown instance and too many instances are errors.
package main

import (
	"fmt"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func monitor() error {
	postpay := s.state["postpay"]
	req := c.NewGetCompShareInstanceMonitorRequest()
	onZone(req)
	req.UHostIds = []string{postpay}
	typed, err := c.GetCompShareInstanceMonitor(req)
	must(c.ok(typed, err)) // the SDK's response model has no fields
	data := &monitorResponse{}
	must(c.call("GetCompShareInstanceMonitor", req, data))
	expect(len(data.Data.List) == 1 && data.Data.List[0].UHostId == postpay, "Data.List %+v", data.Data.List)
	must(equal(len(data.Data.PodList), 0, "Data.PodList"))
	var keys []string
	for _, m := range data.Data.List[0].Metrics {
		keys = append(keys, m.MetricKey)
		expect(len(m.Results) > 0, "metric %s has no Results", m.MetricKey)
		for _, r := range m.Results {
			must(equal(r.ResourceId, postpay, "ResourceId"))
		}
	}
	for _, want := range []string{"uhost_cpu_used", "cloudwatch_memory_usage", "cloudwatch_gpu_util"} {
		expect(contains(keys, want), "%s missing from the metrics %v", want, keys)
	}
	now := int(time.Now().Unix())
	ranged := &monitorRequest{UHostIds: []string{postpay}, StartTime: ucloud.Int(now - 300), EndTime: ucloud.Int(now)}
	onZone(ranged)
	rdata := &monitorResponse{}
	must(c.call("GetCompShareInstanceMonitor", ranged, rdata))
	var rkeys []string
	for _, m := range rdata.Data.List[0].Metrics {
		rkeys = append(rkeys, m.MetricKey)
	}
	expect(contains(rkeys, "uhost_net_in_flow"), "a ranged query adds the traffic: %v", rkeys)
	req.UHostIds = []string{notFound}
	bad, err := c.GetCompShareInstanceMonitor(req)
	must(expectCode(bad, err, 8039, "InstanceNotFound", ""))
	req.UHostIds = nil
	for i := 0; i < 11; i++ {
		req.UHostIds = append(req.UHostIds, fmt.Sprintf("uhost-%d", i))
	}
	bad, err = c.GetCompShareInstanceMonitor(req)
	return expectPrefix(bad, err, 230, "Params [UHostIds] not available")
}
