// The catalog, read-only: zones, machine type families, instance types and their sizes, resource
// capacity, software ports, the network optimizer, the model repository, the GPU inventory and the
// image tags, each with its parameter errors.
package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
)

func supportZone() error {
	req := c.NewDescribeCompShareSupportZoneRequest()
	resp, err := c.DescribeCompShareSupportZone(req)
	must(c.ok(resp, err))
	must(equal(len(resp.ZoneInfo), 1, "zones of cn-wlcb"))
	z := resp.ZoneInfo[0]
	must(equal([]string{z.Region, z.Zone}, []string{region, zone}, "Region and Zone"))
	expect(z.Describe != "" && z.RegionId > 0 && z.ZoneId > 0, "ZoneInfo item %+v", z)
	s.state["zoneId"] = strconv.Itoa(z.ZoneId)
	req = c.NewDescribeCompShareSupportZoneRequest()
	req.Region = ucloud.String("cn-sh2")
	sh, err := c.DescribeCompShareSupportZone(req)
	must(c.ok(sh, err))
	expect(len(sh.ZoneInfo) == 1 && sh.ZoneInfo[0].Zone == "cn-sh2-02", "zones of cn-sh2: %+v", sh.ZoneInfo)
	req = c.NewDescribeCompShareSupportZoneRequest()
	req.Region = ucloud.String("cn-nowhere")
	bad, err := c.DescribeCompShareSupportZone(req)
	return expectCode(bad, err, 230, "", "Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)")
}

func machineTypeFamilies() error {
	// Documented conflict: the SDK model declares MachineTypes []string; the docs, the CLI and our
	// server answer objects {Name, Description}. The typed method fails to decode, naming the field.
	resp, err := c.DescribeCompShareMachineTypeFamilies(c.NewDescribeCompShareMachineTypeFamiliesRequest())
	e, isSDK := err.(uerr.Error)
	expect(isSDK && e.Name() == uerr.ErrResponseBodyError, "the typed method should fail to decode (ResponseBodyError): %v", err)
	expect(strings.Contains(e.Message(), "cannot unmarshal object") && strings.Contains(e.Message(), "MachineTypes"),
		"the decode error should name MachineTypes: %q", e.Message())
	must(equal(resp.GetRetCode(), 0, "RetCode behind the decode error"))
	// Our struct, with the docs' objects, decodes the same answer.
	fam := &familiesResponse{}
	must(c.call("DescribeCompShareMachineTypeFamilies", &emptyRequest{}, fam))
	var names []string
	for _, m := range fam.MachineTypes {
		names = append(names, m.Name)
		expect(m.Description != "", "Description of %s", m.Name)
	}
	expect(contains(names, "4090"), "MachineTypes: %v", names)
	var inZone []string
	for _, m := range fam.MachineTypesMap[zone] {
		inZone = append(inZone, m.Name)
	}
	expect(contains(inZone, "4090"), "MachineTypesMap[%s]: %v", zone, inZone)
	sh := &familiesResponse{}
	shReq := &emptyRequest{}
	shReq.Region = ucloud.String("cn-sh2")
	must(c.call("DescribeCompShareMachineTypeFamilies", shReq, sh))
	var shNames []string
	for _, m := range sh.MachineTypes {
		shNames = append(shNames, m.Name)
	}
	sort.Strings(shNames)
	must(equal(shNames, []string{"2080Ti", "4090", "5090"}, "families of cn-sh2"))
	bad := &familiesResponse{}
	badReq := &emptyRequest{}
	badReq.ProjectId = ucloud.String("org-doesnotexist")
	return expectCode(bad, c.invoke("DescribeCompShareMachineTypeFamilies", badReq, bad), 292, "ProjectNotExists", "")
}

func instanceTypes() error {
	req := c.NewDescribeAvailableCompShareInstanceTypesRequest()
	onZone(req)
	req.MachineTypes = []string{"4090"}
	resp, err := c.DescribeAvailableCompShareInstanceTypes(req)
	must(c.ok(resp, err))
	must(equal(resp.Status, "Normal", "Status"))
	must(equal(len(resp.AvailableInstanceTypes), 1, "AvailableInstanceTypes"))
	t := resp.AvailableInstanceTypes[0]
	must(equal([]string{t.Name, t.Zone, t.Status}, []string{"4090", zone, "Normal"}, "Name, Zone, Status"))
	sizes := map[int]ucompshare.Collection{}
	var all []string
	for _, m := range t.MachineSizes {
		sizes[m.Gpu] = m.Collection[0]
		for _, col := range m.Collection {
			for _, mem := range col.Memory {
				all = append(all, fmt.Sprintf("%d/%d/%d", m.Gpu, col.Cpu, mem))
			}
		}
	}
	sort.Strings(all)
	s.state["sizes4090"] = strings.Join(all, " ")
	must(equal(sizes[1].Cpu, 16, "Cpu of 4090 x1"))
	must(equal(sizes[1].Memory, []int{64, 96}, "Memory (GB) of 4090 x1"))
	must(equal(sizes[2].Memory, []int{128, 192}, "Memory (GB) of 4090 x2"))
	expect(len(t.CpuPlatforms.Amd) > 0 && len(t.CpuPlatforms.Intel) > 0, "CpuPlatforms %+v", t.CpuPlatforms)
	must(equal(t.GraphicsMemory.Value, 24, "GraphicsMemory.Value"))
	expect(t.Performance.Value > 0, "Performance %+v", t.Performance)
	expect(len(t.Disks) > 0 && len(t.Disks[0].BootDisk) > 0 && t.Disks[0].BootDisk[0].Name == "CLOUD_SSD", "Disks %+v", t.Disks)
	req = c.NewDescribeAvailableCompShareInstanceTypesRequest()
	onZone(req)
	req.MachineTypes = []string{"NoSuchGpu"}
	none, err := c.DescribeAvailableCompShareInstanceTypes(req)
	must(c.ok(none, err))
	must(equal(len(none.AvailableInstanceTypes), 0, "an unknown machine type"))
	// InstanceType is the docs' and the CLI's (not in the SDK model): spot types only.
	spotReq := &instanceTypesRequest{InstanceType: ucloud.String("spot")}
	onZone(spotReq)
	spot := &ucompshare.DescribeAvailableCompShareInstanceTypesResponse{}
	must(c.call("DescribeAvailableCompShareInstanceTypes", spotReq, spot))
	var spotNames []string
	for _, t := range spot.AvailableInstanceTypes {
		spotNames = append(spotNames, t.Name)
	}
	expect(contains(spotNames, "4090") && !contains(spotNames, "A800"), "spot types %v", spotNames)
	req = c.NewDescribeAvailableCompShareInstanceTypesRequest()
	req.Zone = ucloud.String("cn-nowhere-01")
	bad, err := c.DescribeAvailableCompShareInstanceTypes(req)
	return expectPrefix(bad, err, 230, "Params [Zone] not available")
}

func resourceCapacity() error {
	// Not in either SDK: our structs, as the docs' Go example has them.
	newReq := func() *capacityRequest {
		r := &capacityRequest{
			GpuType: ucloud.String("4090"), MachineType: ucloud.String("G"), MinimalCpuPlatform: ucloud.String("Auto"),
			CompShareImageId: ucloud.String(ubuntu), ChargeType: ucloud.String("Postpay"),
			Disks: []capacityDisk{{IsBoot: ucloud.Bool(true), Type: ucloud.String("CLOUD_SSD"), Size: ucloud.Int(100)}},
		}
		onZone(r)
		return r
	}
	resp := &capacityResponse{}
	must(c.call("CheckCompShareResourceCapacity", newReq(), resp))
	want := capacitySpec{Gpu: 1, Cpu: 16, Mem: 64, ResourceEnough: true}
	found := false
	var all []string
	for _, sp := range resp.Specs {
		found = found || sp == want
		all = append(all, fmt.Sprintf("%d/%d/%d", sp.Gpu, sp.Cpu, sp.Mem))
	}
	expect(found, "Specs should contain %+v: %+v", want, resp.Specs)
	if sizes, ok := s.state["sizes4090"]; ok {
		sort.Strings(all)
		must(equal(strings.Join(all, " "), sizes, "Specs vs the sizes of DescribeAvailableCompShareInstanceTypes"))
	}
	r := newReq()
	r.CompShareImageId = ucloud.String("compshareImage-nope")
	bad := &capacityResponse{}
	must(expectCode(bad, c.invoke("CheckCompShareResourceCapacity", r, bad), 226614, "ImageNotFound", ""))
	r = newReq()
	r.MachineType = ucloud.String("X")
	bad = &capacityResponse{}
	must(expectPrefix(bad, c.invoke("CheckCompShareResourceCapacity", r, bad), 230, "Params [MachineType] not available"))
	r = newReq()
	r.GpuType = nil
	bad = &capacityResponse{}
	return expectCode(bad, c.invoke("CheckCompShareResourceCapacity", r, bad), 220, "", "Missing params [GpuType]")
}

func softwarePort() error {
	resp, err := c.DescribeCompShareSoftwarePort(c.NewDescribeCompShareSoftwarePortRequest())
	must(c.ok(resp, err))
	ports := map[string]int{}
	for _, p := range resp.SoftwarePort {
		ports[p.Software] = p.Port
	}
	return equal([]int{ports["JupyterLab"], ports["SSH"]}, []int{8888, 22}, "ports of JupyterLab and SSH")
}

func netOptimizer() error {
	req := c.NewCheckCompShareNetOptimizerRequest()
	onZone(req)
	resp, err := c.CheckCompShareNetOptimizer(req)
	must(c.ok(resp, err))
	must(equal(resp.Optimized, false, "Optimized of a new account"))
	var raw struct {
		Info []struct {
			Region    string
			Optimized bool
		}
	}
	must(json.Unmarshal(c.body, &raw))
	expect(len(raw.Info) == 1 && raw.Info[0].Region == region && !raw.Info[0].Optimized, "Info %+v", raw.Info)
	return nil
}

func models() error {
	req := c.NewDescribeModelRepositoryModelsRequest()
	onZone(req)
	every, err := c.DescribeModelRepositoryModels(req)
	must(c.ok(every, err))
	expect(len(every.Models) >= 4, "Models %+v", every.Models)
	for _, m := range every.Models {
		expect(m.Size != "" && m.CreateTime > 0 && strings.HasPrefix(m.Path, "/"), "model %+v", m)
	}
	names := func(list []ucompshare.ModelRepositoryModel) []string {
		var out []string
		for _, m := range list {
			out = append(out, m.Name)
		}
		sort.Strings(out)
		return out
	}
	req = c.NewDescribeModelRepositoryModelsRequest()
	onZone(req)
	req.Name = ucloud.String("qwen")
	qwen, err := c.DescribeModelRepositoryModels(req)
	must(c.ok(qwen, err))
	must(equal(names(qwen.Models), []string{"DeepSeek-R1-Distill-Qwen-7B", "Qwen2.5-7B-Instruct"}, "Name=qwen (case-insensitive, in part)"))
	req = c.NewDescribeModelRepositoryModelsRequest()
	onZone(req)
	req.Tags = ucloud.String("LLM,Meta")
	meta, err := c.DescribeModelRepositoryModels(req)
	must(c.ok(meta, err))
	must(equal(names(meta.Models), []string{"Llama-3-8B"}, "Tags=LLM,Meta"))
	// The docs' and the CLI's lower-case name: through the SDK's generic request (a payload map).
	greq := c.NewGenericRequest()
	must(greq.SetPayload(map[string]interface{}{"Action": "DescribeModelRepositoryModels", "name": "llama"}))
	gresp, err := c.GenericInvoke(greq)
	if err != nil {
		return describeErr(err)
	}
	cli := &ucompshare.DescribeModelRepositoryModelsResponse{}
	must(gresp.Unmarshal(cli))
	return equal(names(cli.Models), []string{"Llama-3-8B"}, "name=llama")
}

func gpuInventory() error {
	req := c.NewDescribeCompShareGpuInventoryRequest()
	onZone(req)
	resp, err := c.DescribeCompShareGpuInventory(req)
	must(c.ok(resp, err))
	expect(contains(resp.SpotUnsupportedGpuTypes, "A800") && !contains(resp.SpotUnsupportedGpuTypes, "4090"), "SpotUnsupportedGpuTypes %v", resp.SpotUnsupportedGpuTypes)
	now := int(time.Now().Unix())
	expect(resp.UpdateTime > now-600 && resp.UpdateTime < now+600, "UpdateTime %d", resp.UpdateTime)
	// The SDK model documents a map by pool first: {"Exclusive": {<ZoneId>: {<GpuType>: n}}, "Spot": {…}}.
	var inv map[string]map[string]map[string]int
	if err := json.Unmarshal([]byte(resp.GpuInventoryByZone), &inv); err != nil {
		return fmt.Errorf("GpuInventoryByZone should be keyed by pool (Exclusive, Spot) as the SDK documents: %v: %.200s", err, resp.GpuInventoryByZone)
	}
	exclusive, ok := inv["Exclusive"]
	expect(ok, "GpuInventoryByZone has no Exclusive pool: %.200s", resp.GpuInventoryByZone)
	mine, ok := exclusive[s.state["zoneId"]]
	if !ok {
		mine = exclusive[zone]
	}
	expect(mine["4090"] > 0, "free 4090 GPUs in %s: %v", zone, exclusive)
	req = c.NewDescribeCompShareGpuInventoryRequest()
	req.Region = ucloud.String("cn-nowhere")
	bad, err := c.DescribeCompShareGpuInventory(req)
	return expectPrefix(bad, err, 230, "Params [Region] not available")
}

func imageTags() error {
	resp, err := c.DescribeCompShareImageTags(c.NewDescribeCompShareImageTagsRequest())
	must(c.ok(resp, err))
	for _, want := range []string{"PyTorch", "LLM", "Stable Diffusion"} {
		expect(contains(resp.Tags, want), "%s missing from Tags %v", want, resp.Tags)
	}
	var raw struct{ TagsMap map[string][]string }
	must(json.Unmarshal(c.body, &raw))
	n := 0
	for _, tags := range raw.TagsMap {
		for _, t := range tags {
			n++
			expect(contains(resp.Tags, t), "TagsMap's %s missing from Tags", t)
		}
	}
	return equal(n, len(resp.Tags), "tags of TagsMap")
}
