// The action families beyond the instance lifecycle, through the official Go SDK: catalog,
// projects (uaccount), pricing and billing, monitoring, ports, data disks, image sharing and the
// community. Every action with a typed method is called through it (ucompshare.UCompShareClient,
// uaccount.UAccountClient); the actions the SDK lacks go through InvokeAction with our own
// request and response structs, decoded as strictly as the SDK's.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/uaccount"
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

const (
	otherName = "compat-other" // the name test/compat/run.ts gives the second account
	notFound  = "uhost-doesnotexist"
)

// ---------------------------------------------------------------------------------------------
// Our structs for the generic path: the docs' and the CLI's fields, with the SDK models' types.

type emptyRequest struct{ request.CommonBase }

type emptyResponse struct{ response.CommonBase }

type family struct{ Name, Description string }

type familiesResponse struct {
	response.CommonBase
	MachineTypes    []family
	MachineTypesMap map[string][]family
}

type instanceTypesRequest struct {
	request.CommonBase
	MachineTypes []string
	InstanceType *string
}

type capacityDisk struct {
	IsBoot *bool
	Type   *string
	Size   *int
}

type capacityRequest struct {
	request.CommonBase
	GpuType, MachineType, MinimalCpuPlatform, CompShareImageId, ChargeType *string
	Disks                                                                  []capacityDisk
}

type capacitySpec struct {
	Gpu, Cpu, Mem  int
	ResourceEnough bool
}

type capacityResponse struct {
	response.CommonBase
	Specs []capacitySpec
}

type priceDetail struct {
	ChargeType                                   string
	Instance, Disks, SystemDisks, CompShareImage float64
	InstanceDiscountType                         int
	OriginalPrice                                float64
	ListPrice                                    string
}

type priceResponse struct {
	response.CommonBase
	PriceDetail, OriginalPriceDetail, ListPriceDetail    []priceDetail
	PriceDetails, OriginalPriceDetails, ListPriceDetails []priceDetail
}

type userPriceRequest struct {
	request.CommonBase
	GpuType, ChargeType *string
	GPU, CPU, Memory    *int
}

type refundItem struct {
	UHostId             string
	Code                int
	Message, ErrMessage string
	RefundPrice         float64
}

type refundResponse struct {
	response.CommonBase
	RefundPriceSet []refundItem
}

type switchRequest struct {
	request.CommonBase
	UHostId, DestChargeType *string
}

type uhostIDResponse struct {
	response.CommonBase
	UHostId string
}

type monitorValue struct {
	Timestamp int
	Value     float64
}

type monitorResult struct {
	ResourceId, LongResourceId string
	TagMap                     map[string]string
	Values                     []monitorValue
}

type monitorMetric struct {
	MetricKey string
	Tags      map[string][]string
	Results   []monitorResult
}

type monitorHost struct {
	UHostId string
	Metrics []monitorMetric
}

type monitorRequest struct {
	request.CommonBase
	UHostIds           []string
	StartTime, EndTime *int
}

type monitorResponse struct {
	response.CommonBase
	Data struct{ List, PodList []monitorHost }
}

type createDiskRequest struct {
	request.CommonBase
	UHostId, DiskType, Name, ChargeType *string
	Size                                *int
}

type udiskIDResponse struct {
	response.CommonBase
	UDiskId string
}

type describeDiskRequest struct {
	request.CommonBase
	HostId, UDiskId *string
	Limit           *int
}

type diskResource struct {
	ResourceId, UDiskId, Name                   string
	Size                                        int
	Configuration, DiskType, ChargeType, Status string
	MountInstance, Device, Region, Zone         string
	CreateTime, ExpireTime                      int
}

type describeDiskResponse struct {
	response.CommonBase
	TotalCount int
	DiskSet    []diskResource
}

type operationsRequest struct {
	request.CommonBase
	UHostId *string
	Limit   *int
}

type consoleRequest struct {
	request.CommonBase
	UHostId *string
	Length  *int
}

type consoleResponse struct {
	response.CommonBase
	UHostId   string
	Output    string
	Timestamp int
}

type policyRequest struct {
	request.CommonBase
	UHostId *string
}

type policyResponse struct {
	response.CommonBase
	UHostId       string
	ChargeType    string
	AutoRenew     string
	Balance       float64
	UnpaidAmount  float64
	ExpireTime    int
	ArrearsSince  int
	Timeline      string
	TimelineStart int
	LastStep      string
	NextStep      string
	NextStepTime  int
}

type operationsResponse struct {
	response.CommonBase
	TotalCount   int
	OperationSet []struct {
		OperationId, UHostId, Action, Status, Phase, RequestId string
		StartTime, EndTime, ErrorCode                          int
		ErrorMessage                                           string
		Recovered                                              bool
		Source, Requester                                      string
	}
}

type imageNameRequest struct {
	request.CommonBase
	CompShareImageId, Name *string
}

type publishVersionRequest struct {
	request.CommonBase
	CompShareImageId, GroupId, VersionName, VersionDesc *string
	Price                                               *float64
}

type groupRequest struct {
	request.CommonBase
	GroupId *string
}

type communityListing struct {
	response.CommonBase
	TotalCount, AvailableTotalCount    int
	CompshareImageGroup, ImageSetGroup []ucompshare.CompshareImageGroup
	ImageSet                           []ucompshare.CompShareImage
}

// ---------------------------------------------------------------------------------------------
// Helpers.

func onZone(r request.Common) { _ = r.SetZone(zone) }

func createNamed(client *sdk, name string, configure func(*ucompshare.CreateCompShareInstanceRequest)) string {
	req := newCreate(client)
	req.Name = ucloud.String(name)
	req.ChargeType = ucloud.String("Postpay")
	if configure != nil {
		configure(req)
	}
	resp, err := client.CreateCompShareInstance(req)
	must(client.ok(resp, err))
	expect(len(resp.UHostIds) == 1, "UHostIds: %v", resp.UHostIds)
	_, err = waitState(client, resp.UHostIds[0], "Running")
	must(err)
	return resp.UHostIds[0]
}

func terminateAndWait(client *sdk, id string) {
	must(whenFree(func() error { r, err := terminate(client, id); return client.ok(r, err) }))
	must(waitGone(client, id))
}

func mustDescribe(client *sdk, id string) *ucompshare.CompShareInstanceSet {
	h, err := describeOne(client, id)
	must(err)
	expect(h != nil, "instance %s is not in Describe", id)
	return h
}

func priceDetails(in []ucompshare.CompSharePriceDetail) map[string]ucompshare.CompSharePriceDetail {
	out := map[string]ucompshare.CompSharePriceDetail{}
	for _, d := range in {
		out[d.ChargeType] = d
	}
	return out
}

func contains(list []string, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// Projects.

func projects() error {
	resp, err := c.acct.GetProjectList(c.acct.NewGetProjectListRequest())
	must(c.ok(resp, err))
	must(equal(resp.ProjectCount, len(resp.ProjectSet), "ProjectCount"))
	var defaults []uaccount.ProjectListInfo
	for _, p := range resp.ProjectSet {
		if p.IsDefault {
			defaults = append(defaults, p)
		}
	}
	must(equal(len(defaults), 1, "projects with IsDefault true"))
	expect(strings.HasPrefix(defaults[0].ProjectId, "org-"), "ProjectId %q", defaults[0].ProjectId)
	s.state["project"] = defaults[0].ProjectId
	oreq := other.acct.NewGetProjectListRequest()
	oreq.IsFinance = ucloud.String("No")
	mine, err := other.acct.GetProjectList(oreq)
	must(other.ok(mine, err))
	var ids []string
	for _, p := range mine.ProjectSet {
		if p.IsDefault {
			ids = append(ids, p.ProjectId)
		}
	}
	must(equal(ids, []string{env.otherProjectID}, "the other account's default project"))
	// The CompShare CLI sends it through the ucompshare client, without parameters.
	raw := &uaccount.GetProjectListResponse{}
	must(c.call("GetProjectList", &emptyRequest{}, raw))
	return equal(raw.ProjectSet, resp.ProjectSet, "GetProjectList through the ucompshare client's InvokeAction")
}

func projectsErrors() error {
	wrong := newSDK(env.publicKey, env.privateKey, func(cfg *ucloud.Config) { cfg.ProjectId = "org-doesnotexist" })
	resp, err := wrong.acct.GetProjectList(wrong.acct.NewGetProjectListRequest())
	return expectCode(resp, err, 292, "ProjectNotExists", "")
}

// ---------------------------------------------------------------------------------------------
// Catalog.

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

// ---------------------------------------------------------------------------------------------
// Pricing and billing.

func newPriceRequest(gpu, cpu, memory string) *ucompshare.GetCompShareInstancePriceRequest {
	req := c.NewGetCompShareInstancePriceRequest()
	onZone(req)
	req.GpuType = ucloud.String("4090")
	req.Gpu = ucloud.String(gpu) // strings in the SDK model: the same digits on the wire
	req.Cpu = ucloud.String(cpu)
	req.Memory = ucloud.String(memory)
	return req
}

func instancePrice() error {
	req := newPriceRequest("1", "16", "65536")
	req.ChargeType = ucloud.String("Postpay")
	req.Disks = []ucompshare.GetCompShareInstancePriceParamDisks{{IsBoot: ucloud.Bool(true), Type: ucloud.String("CLOUD_SSD"), Size: ucloud.Int(100)}}
	resp, err := c.GetCompShareInstancePrice(req)
	must(c.ok(resp, err))
	must(equal(len(resp.PriceDetail), 1, "PriceDetail of one charge type"))
	d := resp.PriceDetail[0]
	must(equal(d.ChargeType, "Postpay", "ChargeType"))
	expect(d.Instance > 0, "Instance price %v", d.Instance)
	lp, perr := strconv.ParseFloat(d.ListPrice, 64)
	expect(perr == nil && lp == d.OriginalPrice, "ListPrice (a string) %q vs OriginalPrice %v", d.ListPrice, d.OriginalPrice)
	s.state["postpayPrice"] = strconv.FormatFloat(d.Instance, 'f', -1, 64)
	// The docs' plural names, through our struct on the same request.
	docs := &priceResponse{}
	must(c.call("GetCompShareInstancePrice", req, docs))
	must(equal(docs.PriceDetails, docs.PriceDetail, "PriceDetails (docs) vs PriceDetail (SDK)"))
	must(equal(docs.OriginalPriceDetails, docs.OriginalPriceDetail, "OriginalPriceDetails vs OriginalPriceDetail"))
	must(equal(docs.ListPriceDetails, docs.ListPriceDetail, "ListPriceDetails vs ListPriceDetail"))
	must(equal(docs.PriceDetails[0].Instance, d.Instance, "PriceDetails[0].Instance via InvokeAction vs typed PriceDetail[0].Instance"))
	every, err := c.GetCompShareInstancePrice(newPriceRequest("1", "16", "65536"))
	must(c.ok(every, err))
	by := priceDetails(every.PriceDetail)
	for _, want := range []string{"Month", "Day", "Postpay", "Spot"} {
		_, ok := by[want]
		expect(ok, "%s missing from the charge types %+v", want, every.PriceDetail)
	}
	expect(by["Month"].Instance > by["Day"].Instance && by["Day"].Instance > by["Postpay"].Instance && by["Postpay"].Instance > by["Spot"].Instance && by["Spot"].Instance > 0,
		"prices by charge type %+v", by)
	two := newPriceRequest("2", "32", "131072")
	two.ChargeType = ucloud.String("Postpay")
	tr, err := c.GetCompShareInstancePrice(two)
	must(c.ok(tr, err))
	expect(tr.PriceDetail[0].Instance > d.Instance, "2 GPUs cost more than 1")
	bad, err := c.GetCompShareInstancePrice(newPriceRequest("1", "17", "65536"))
	must(expectPrefix(bad, err, 230, "Params [Cpu] not available"))
	wrong := newPriceRequest("1", "16", "65536")
	wrong.GpuType = ucloud.String("NoSuchGpu")
	bad, err = c.GetCompShareInstancePrice(wrong)
	return expectPrefix(bad, err, 230, "Params [GpuType] not available")
}

func userPrice() error {
	req := c.NewGetCompShareInstanceUserPriceRequest()
	onZone(req)
	req.GpuType = ucloud.String("4090")
	req.Gpu = ucloud.String("1")
	req.Cpu = ucloud.String("16")
	req.Memory = ucloud.String("65536")
	req.ChargeType = ucloud.String("Postpay")
	resp, err := c.GetCompShareInstanceUserPrice(req)
	must(c.ok(resp, err))
	d := resp.PriceDetail[0]
	must(equal(d.ChargeType, "Postpay", "ChargeType"))
	expect(d.Instance > 0, "Instance %v", d.Instance)
	if p, ok := s.state["postpayPrice"]; ok {
		must(equal(strconv.FormatFloat(d.Instance, 'f', -1, 64), p, "user price vs GetCompShareInstancePrice"))
	}
	// The docs' CPU/GPU spelling, through our struct.
	docsReq := &userPriceRequest{GpuType: ucloud.String("4090"), ChargeType: ucloud.String("Postpay"), GPU: ucloud.Int(1), CPU: ucloud.Int(16), Memory: ucloud.Int(65536)}
	onZone(docsReq)
	docs := &priceResponse{}
	must(c.call("GetCompShareInstanceUserPrice", docsReq, docs))
	expect(len(docs.PriceDetails) == 1 && docs.PriceDetails[0].Instance == d.Instance, "PriceDetails (docs' spelling) %+v vs typed %+v", docs.PriceDetails, d)
	req.Memory = ucloud.String("1000")
	bad, err := c.GetCompShareInstanceUserPrice(req)
	return expectPrefix(bad, err, 230, "Params [")
}

func billingInstances() error {
	s.state["day"] = createNamed(c, "go-billing-day", func(r *ucompshare.CreateCompShareInstanceRequest) { r.ChargeType = ucloud.String("Day") })
	s.state["postpay"] = createNamed(c, "go-billing-postpay", nil)
	h := mustDescribe(c, s.state["day"])
	must(equal(h.ChargeType, "Day", "ChargeType"))
	expect(int64(h.ExpireTime) > time.Now().Unix(), "ExpireTime of a Day instance: %d", h.ExpireTime)
	p := mustDescribe(c, s.state["postpay"])
	if price, ok := s.state["postpayPrice"]; ok {
		must(equal(strconv.FormatFloat(p.InstancePrice, 'f', -1, 64), price, "InstancePrice of a Postpay 4090 x1 vs GetCompShareInstancePrice"))
	}
	return nil
}

func upgradeRequest(id string, gpu, cpu, memory int) *ucompshare.GetCompShareInstanceUpgradePriceRequest {
	req := c.NewGetCompShareInstanceUpgradePriceRequest()
	onZone(req)
	req.UHostId = ucloud.String(id)
	req.Gpu = ucloud.Int(gpu)
	req.Cpu = ucloud.Int(cpu)
	req.Memory = ucloud.Int(memory)
	return req
}

func upgradePrice() error {
	day := s.state["day"]
	resp, err := c.GetCompShareInstanceUpgradePrice(upgradeRequest(day, 2, 32, 131072))
	must(c.ok(resp, err))
	expect(resp.Price > 0 && resp.OriginalPrice == resp.ListPrice, "upgrade of a Day instance to 2 GPUs: %+v", resp)
	same, err := c.GetCompShareInstanceUpgradePrice(upgradeRequest(day, 1, 16, 65536))
	must(c.ok(same, err))
	must(equal(same.Price, 0.0, "Price of the same size"))
	hourly, err := c.GetCompShareInstanceUpgradePrice(upgradeRequest(s.state["postpay"], 2, 32, 131072))
	must(c.ok(hourly, err))
	expect(hourly.Price > 0 && hourly.Price < resp.Price, "an hourly upgrade costs less than a day's: %v vs %v", hourly.Price, resp.Price)
	bad, err := c.GetCompShareInstanceUpgradePrice(upgradeRequest(day, 1, 17, 65536))
	must(expectPrefix(bad, err, 230, "Params ["))
	bad, err = c.GetCompShareInstanceUpgradePrice(upgradeRequest(notFound, 2, 32, 131072))
	return expectCode(bad, err, 8039, "InstanceNotFound", "")
}

func refundPrice() error {
	day, postpay := s.state["day"], s.state["postpay"]
	req := c.NewGetCompShareRefundPriceRequest()
	onZone(req)
	req.UHostIds = []string{day, postpay, notFound}
	resp, err := c.GetCompShareRefundPrice(req)
	must(c.ok(resp, err))
	by := map[string]ucompshare.UHostRefundPriceSet{}
	for _, r := range resp.RefundPriceSet {
		by[r.UHostId] = r
	}
	must(equal(len(by), 3, "items of RefundPriceSet"))
	expect(by[day].Code == 0 && by[day].RefundPrice > 0, "refund of a Day instance just created: %+v", by[day])
	expect(by[postpay].Code != 0 && by[postpay].RefundPrice == 0, "a Postpay instance has nothing to refund: %+v", by[postpay])
	must(equal(by[notFound].Code, 8039, "Code of an unknown instance"))
	docs := &refundResponse{}
	must(c.call("GetCompShareRefundPrice", req, docs))
	for _, r := range docs.RefundPriceSet {
		must(equal(r.Message, r.ErrMessage, "Message (docs) vs ErrMessage (SDK) of "+r.UHostId))
	}
	return nil
}

func switchTo(client *sdk, id, dest string) (*uhostIDResponse, error) {
	req := &switchRequest{UHostId: ucloud.String(id), DestChargeType: ucloud.String(dest)}
	onZone(req)
	req.SetRetryable(false)
	resp := &uhostIDResponse{}
	err := whenFree(func() error { return client.invoke("SwitchChargeType", req, resp) })
	return resp, err
}

func switchChargeType() error {
	// Not in either SDK: our structs. Day → Month → Year; the rest is refused (230).
	day, postpay := s.state["day"], s.state["postpay"]
	resp, err := switchTo(c, day, "Month")
	must(c.ok(resp, err))
	must(equal(resp.UHostId, day, "UHostId"))
	h := mustDescribe(c, day)
	must(equal([]string{h.ChargeType, h.AutoRenew}, []string{"Month", "Yes"}, "ChargeType and AutoRenew after Day → Month"))
	expect(int64(h.ExpireTime) > time.Now().Unix()+20*86400, "ExpireTime of a month: %d", h.ExpireTime)
	bad, err := switchTo(c, day, "Day")
	must(expectPrefix(bad, err, 230, "Params [DestChargeType] not available"))
	resp, err = switchTo(c, day, "Year")
	must(c.ok(resp, err))
	must(equal(mustDescribe(c, day).ChargeType, "Year", "ChargeType after Month → Year"))
	bad, err = switchTo(c, day, "Month")
	must(expectPrefix(bad, err, 230, "Params [DestChargeType] not available"))
	bad, err = switchTo(c, postpay, "Month")
	must(expectPrefix(bad, err, 230, "Params [DestChargeType] not available"))
	must(equal(mustDescribe(c, postpay).ChargeType, "Postpay", "ChargeType after the refused switch"))
	bad, err = switchTo(c, day, "Weekly")
	must(expectPrefix(bad, err, 230, "Params [DestChargeType] not available"))
	bad, err = switchTo(c, notFound, "Month")
	must(expectCode(bad, err, 8039, "InstanceNotFound", ""))
	bad, err = switchTo(other, day, "Year")
	return expectCode(bad, err, 8039, "InstanceNotFound", "")
}

// ---------------------------------------------------------------------------------------------
// Monitoring.

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

// ---------------------------------------------------------------------------------------------
// Data disks.

func diskOf(client *sdk, id string) *diskResource {
	req := &describeDiskRequest{UDiskId: ucloud.String(id)}
	resp := &describeDiskResponse{}
	must(client.call("DescribeCompshareDisk", req, resp))
	if len(resp.DiskSet) == 0 {
		return nil
	}
	return &resp.DiskSet[0]
}

func waitDisk(id, status string, size int) *diskResource {
	var got *diskResource
	must(until(settle(), fmt.Sprintf("disk %s to be %s", id, status), func() (bool, error) {
		got = diskOf(c, id)
		return got != nil && got.Status == status && (size == 0 || got.Size == size), nil
	}))
	return got
}

func diskCreate() error {
	postpay := s.state["postpay"]
	newReq := func() *createDiskRequest {
		r := &createDiskRequest{UHostId: ucloud.String(postpay), Size: ucloud.Int(20), DiskType: ucloud.String("SSDDataDisk"), Name: ucloud.String("go-data"), ChargeType: ucloud.String("Postpay")}
		onZone(r)
		r.SetRetryable(false)
		return r
	}
	r := newReq()
	r.DiskType = ucloud.String("NoSuchDisk")
	bad := &udiskIDResponse{}
	must(expectPrefix(bad, c.invoke("CreateAndAttachCompshareDisk", r, bad), 230, "Params [DiskType] not available"))
	r = newReq()
	r.UHostId = ucloud.String(notFound)
	bad = &udiskIDResponse{}
	must(expectCode(bad, c.invoke("CreateAndAttachCompshareDisk", r, bad), 8039, "InstanceNotFound", ""))
	resp := &udiskIDResponse{}
	must(whenFree(func() error { return c.call("CreateAndAttachCompshareDisk", newReq(), resp) }))
	disk := resp.UDiskId
	expect(strings.HasPrefix(disk, "bsi-"), "UDiskId %q", disk)
	s.state["disk"] = disk
	waitDisk(disk, "InUse", 0)
	h := mustDescribe(c, postpay)
	var data *ucompshare.UHostDiskSet
	for i := range h.DiskSet {
		if h.DiskSet[i].DiskId == disk {
			data = &h.DiskSet[i]
		}
		if h.DiskSet[i].IsBoot == "True" {
			s.state["boot"] = h.DiskSet[i].DiskId
		}
	}
	expect(data != nil, "the new disk is not in the DiskSet: %+v", h.DiskSet)
	must(equal([]string{data.IsBoot, data.Type, data.DiskType, strconv.Itoa(data.Size)}, []string{"False", "Data", "CLOUD_SSD", "20"}, "the data disk in DiskSet"))
	ops := &operationsResponse{}
	must(c.call("DescribeCompShareInstanceOperations", &operationsRequest{UHostId: ucloud.String(postpay), Limit: ucloud.Int(10)}, ops))
	found := false
	for _, op := range ops.OperationSet {
		if op.Action == "CreateAndAttachCompshareDisk" && op.Status == "Succeeded" && op.Source == "api" && op.Requester != "" {
			found = true
		}
	}
	expect(found, "no Succeeded CreateAndAttachCompshareDisk asked through the api (with its requester) among the operations %+v", ops.OperationSet)
	out := &consoleResponse{}
	must(c.call("GetCompShareInstanceConsoleOutput", &consoleRequest{UHostId: ucloud.String(postpay), Length: ucloud.Int(4096)}, out))
	must(equal(out.UHostId, postpay, "UHostId of the console output"))
	expect(strings.Contains(out.Output, "ocs-boot-id: ") && len(out.Output) <= 4096 && out.Timestamp > 0, "the console shows a boot id: %q", out.Output)
	refused := &consoleResponse{}
	must(expectCode(refused, other.invoke("GetCompShareInstanceConsoleOutput", &consoleRequest{UHostId: ucloud.String(postpay)}, refused), 8039, "InstanceNotFound", ""))
	pol := &policyResponse{}
	must(c.call("DescribeCompShareInstancePolicy", &policyRequest{UHostId: ucloud.String(postpay)}, pol))
	must(equal([]string{pol.UHostId, pol.ChargeType, strconv.FormatFloat(pol.UnpaidAmount, 'f', 2, 64)}, []string{postpay, "Postpay", "0.00"}, "the policy view of a pay-as-you-go instance"))
	expect(pol.Balance > 0 && (pol.Timeline == "" || pol.Timeline == "stopped"), "balance and timeline: %+v", pol)
	notMine := &policyResponse{}
	return expectCode(notMine, other.invoke("DescribeCompShareInstancePolicy", &policyRequest{UHostId: ucloud.String(postpay)}, notMine), 8039, "InstanceNotFound", "")
}

func diskDescribe() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	resp := &describeDiskResponse{}
	must(c.call("DescribeCompshareDisk", &describeDiskRequest{HostId: ucloud.String(postpay)}, resp))
	must(equal(resp.TotalCount, 1, "TotalCount of the instance's disks"))
	d := resp.DiskSet[0]
	must(equal(
		[]string{d.ResourceId, d.UDiskId, d.MountInstance, d.Zone, d.Region, d.Status, d.Configuration, d.Name, d.ChargeType, strconv.Itoa(d.Size)},
		[]string{disk, disk, postpay, zone, region, "InUse", "20GB", "go-data", "Postpay", "20"},
		"the disk"))
	expect(strings.HasPrefix(d.Device, "/dev/vd") && d.CreateTime > 0, "Device and CreateTime: %+v", d)
	expect(diskOf(c, "bsi-doesnotexist") == nil, "an unknown disk is listed")
	expect(diskOf(other, disk) == nil, "another account sees the disk")
	return nil
}

func diskUpgradeRequest(disk, space string) *ucompshare.GetCompShareAttachedDiskUpgradePriceRequest {
	req := c.NewGetCompShareAttachedDiskUpgradePriceRequest()
	onZone(req)
	req.UHostId = ucloud.String(s.state["postpay"])
	req.DiskId = ucloud.String(disk)
	req.DiskSpace = ucloud.String(space) // a string in the SDK model
	return req
}

func diskUpgradePrice() error {
	disk := s.state["disk"]
	resp, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "40"))
	must(c.ok(resp, err))
	expect(resp.Price > 0, "Price %+v", resp)
	must(equal(resp.PriceDetail.UDisk, resp.Price, "PriceDetail.UDisk"))
	must(equal(resp.ListPriceDetail.UDisk, resp.ListPrice, "ListPriceDetail.UDisk"))
	must(equal(resp.OriginalPriceDetail.Snapshot, 0.0, "Snapshot"))
	big, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "80"))
	must(c.ok(big, err))
	expect(big.Price > resp.Price, "more GB cost more: %v vs %v", big.Price, resp.Price)
	sys, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(s.state["boot"], "300"))
	must(c.ok(sys, err))
	expect(sys.Price > 0, "the system disk beyond its free size: %+v", sys)
	bad, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest("bsi-doesnotexist", "40"))
	must(expectCode(bad, err, 226616, "DiskNotFound", ""))
	bad, err = c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "10"))
	return expectPrefix(bad, err, 230, "Params [DiskSpace] not available")
}

func detachDisk(client *sdk, host, disk string) (*ucompshare.DetachCompshareDiskResponse, error) {
	req := client.NewDetachCompshareDiskRequest()
	onZone(req)
	req.UHostId = ucloud.String(host)
	req.UDiskId = ucloud.String(disk)
	return client.DetachCompshareDisk(req)
}

func attachDisk(client *sdk, host, disk string) (*ucompshare.AttachCompshareDiskResponse, error) {
	req := client.NewAttachCompshareDiskRequest()
	onZone(req)
	req.UHostId = ucloud.String(host)
	req.UDiskId = ucloud.String(disk)
	return client.AttachCompshareDisk(req)
}

func resizeDisk(client *sdk, disk string, size int) (*ucompshare.ResizeCompShareDiskResponse, error) {
	req := client.NewResizeCompShareDiskRequest()
	onZone(req)
	req.UDiskId = ucloud.String(disk)
	req.Size = ucloud.Int(size)
	return client.ResizeCompShareDisk(req)
}

func deleteDisk(client *sdk, disk string) (*ucompshare.DeleteCompshareDiskResponse, error) {
	req := client.NewDeleteCompshareDiskRequest()
	onZone(req)
	req.UDiskId = ucloud.String(disk)
	// Required by the SDK model (Go does not check); the server ignores them.
	req.OrganizationID = ucloud.Int(0)
	req.TopOrganizationID = ucloud.Int(0)
	return client.DeleteCompshareDisk(req)
}

func diskRunningErrors() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	dr, err := detachDisk(c, postpay, disk)
	must(expectCode(dr, err, 8010, "InstanceMustBeStopped", ""))
	rr, err := resizeDisk(c, disk, 30)
	must(expectCode(rr, err, 8010, "InstanceMustBeStopped", ""))
	xr, err := deleteDisk(c, disk)
	must(expectCode(xr, err, 8434, "DiskNotAvailable", ""))
	dr, err = detachDisk(c, postpay, "bsi-doesnotexist")
	must(expectCode(dr, err, 226616, "DiskNotFound", ""))
	xr, err = deleteDisk(other, disk)
	return expectCode(xr, err, 226616, "DiskNotFound", "")
}

func diskLifecycle() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	must(whenFree(func() error { return stopAndWait(c, postpay) }))
	// Attached: a background task of the Stopped instance.
	must(whenFree(func() error { r, err := resizeDisk(c, disk, 30); return c.ok(r, err) }))
	waitDisk(disk, "InUse", 30)
	rr, err := resizeDisk(c, disk, 25)
	must(expectPrefix(rr, err, 230, "Params [Size] not available"))
	must(whenFree(func() error { r, err := detachDisk(c, postpay, disk); return c.ok(r, err) }))
	d := waitDisk(disk, "Available", 0)
	must(equal(d.MountInstance, "", "MountInstance of a detached disk"))
	for _, x := range mustDescribe(c, postpay).DiskSet {
		expect(x.DiskId != disk, "the detached disk is still in the DiskSet")
	}
	// Detached: resized at once.
	rr, err = resizeDisk(c, disk, 40)
	must(c.ok(rr, err))
	must(equal(rr.UDiskId, disk, "UDiskId"))
	must(equal(diskOf(c, disk).Size, 40, "Size of the detached disk after the resize"))
	must(whenFree(func() error { r, err := attachDisk(c, postpay, disk); return c.ok(r, err) }))
	d = waitDisk(disk, "InUse", 0)
	must(equal(d.MountInstance, postpay, "MountInstance after AttachCompshareDisk"))
	ar, err := attachDisk(c, postpay, disk)
	must(expectCode(ar, err, 8434, "DiskNotAvailable", ""))
	must(whenFree(func() error { r, err := detachDisk(c, postpay, disk); return c.ok(r, err) }))
	waitDisk(disk, "Available", 0)
	xr, err := deleteDisk(c, disk)
	must(c.ok(xr, err))
	must(equal(xr.UDiskId, disk, "UDiskId"))
	expect(diskOf(c, disk) == nil, "a deleted disk is still listed")
	xr, err = deleteDisk(c, disk)
	must(c.ok(xr, err)) // deleting it again succeeds
	rr, err = resizeDisk(c, disk, 50)
	must(expectCode(rr, err, 226616, "DiskNotFound", ""))
	ar, err = attachDisk(c, postpay, disk)
	return expectCode(ar, err, 226616, "DiskNotFound", "")
}

func billingCleanup() error {
	terminateAndWait(c, s.state["day"])
	terminateAndWait(c, s.state["postpay"])
	return nil
}

// ---------------------------------------------------------------------------------------------
// A container instance: ports, then a custom image of it, shared and published.

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

func customImageOf(id, name string) string {
	req := c.NewCreateCompShareCustomImageRequest()
	onZone(req)
	req.UHostId = ucloud.String(id)
	req.Name = ucloud.String(name)
	req.Description = ucloud.String("made by the compatibility suite")
	req.Softwares = &ucompshare.CreateCompShareCustomImageParamSoftwares{
		Application: []string{"JupyterLab"}, CUDAVersion: ucloud.String("12.4"), Framework: ucloud.String("PyTorch"), FrameworkVersion: ucloud.String("2.4.0"),
	}
	var image string
	must(whenFree(func() error {
		resp, err := c.CreateCompShareCustomImage(req)
		image = resp.CompShareImageId
		return c.ok(resp, err)
	}))
	must(until(settle(), "image "+image+" to be Available", func() (bool, error) {
		img, err := customImageByID(image)
		return err == nil && img != nil && img.Status == "Available", err
	}))
	return image
}

func customImageByID(id string) (*ucompshare.CompShareImage, error) {
	req := c.NewDescribeCompShareCustomImagesRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	resp, err := c.DescribeCompShareCustomImages(req)
	if err := c.ok(resp, err); err != nil {
		return nil, err
	}
	if len(resp.ImageSet) == 0 {
		return nil, nil
	}
	return &resp.ImageSet[0], nil
}

func containerImage() error {
	image := customImageOf(s.state["container"], "go-container-image")
	img, err := customImageByID(image)
	must(err)
	must(equal([]string{img.Container, img.ImageType}, []string{"True", "Custom"}, "Container and ImageType of a container's image"))
	s.state["cimage"] = image
	return nil
}

func updateImage(client *sdk, id string, configure func(*ucompshare.UpdateCompShareImageRequest)) (*ucompshare.UpdateCompShareImageResponse, error) {
	req := client.NewUpdateCompShareImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	configure(req)
	return client.UpdateCompShareImage(req)
}

func updateImageCheck() error {
	image := s.state["cimage"]
	resp, err := updateImage(c, image, func(r *ucompshare.UpdateCompShareImageRequest) {
		r.Description = ucloud.String("updated by the suite")
		r.Tags = []string{"LLM", "PyTorch"}
		r.Readme = ucloud.String("# readme")
	})
	must(c.ok(resp, err))
	img, err := customImageByID(image)
	must(err)
	tags := append([]string(nil), img.Tags...)
	sort.Strings(tags)
	must(equal([]string{img.Description, strings.Join(tags, ","), img.Readme}, []string{"updated by the suite", "LLM,PyTorch", "# readme"}, "Description, Tags, Readme after UpdateCompShareImage"))
	// Name is the docs' and the CLI's (not in the SDK model): our struct.
	nameReq := &imageNameRequest{CompShareImageId: ucloud.String(image), Name: ucloud.String("go-container-image-2")}
	onZone(nameReq)
	must(c.call("UpdateCompShareImage", nameReq, &emptyResponse{}))
	img, err = customImageByID(image)
	must(err)
	must(equal(img.Name, "go-container-image-2", "Name after UpdateCompShareImage (InvokeAction)"))
	bad, err := updateImage(c, "compshareImage-nope", func(r *ucompshare.UpdateCompShareImageRequest) { r.Description = ucloud.String("x") })
	must(expectCode(bad, err, 226614, "ImageNotFound", ""))
	bad, err = updateImage(other, image, func(r *ucompshare.UpdateCompShareImageRequest) { r.Description = ucloud.String("x") })
	return expectCode(bad, err, 226614, "ImageNotFound", "")
}

func modifyShare(client *sdk, image string, add, remove []int) (*ucompshare.ModifyCompShareImageShareAccountResponse, error) {
	req := client.NewModifyCompShareImageShareAccountRequest()
	req.CompShareImageId = ucloud.String(image)
	req.AddAccounts = add
	req.RemoveAccounts = remove
	return client.ModifyCompShareImageShareAccount(req)
}

func shareAccounts(client *sdk, image string) (*ucompshare.DescribeCompShareImageShareAccountsResponse, error) {
	req := client.NewDescribeCompShareImageShareAccountsRequest()
	req.CompShareImageId = ucloud.String(image)
	return client.DescribeCompShareImageShareAccounts(req)
}

func sharingImages(client *sdk, image string) *ucompshare.DescribeCompShareSharingImagesResponse {
	req := client.NewDescribeCompShareSharingImagesRequest()
	if image != "" {
		req.CompShareImageId = ucloud.String(image)
	}
	req.Limit = ucloud.Int(100)
	resp, err := client.DescribeCompShareSharingImages(req)
	must(client.ok(resp, err))
	return resp
}

// otherAccountNumber: the second account's number, from the environment, else found by its
// name. Removing shares that do not exist changes nothing and answers which numbers are no
// (other) account; then the accounts are offered the image one at a time, in the order run.ts
// made them (the Python suite's, then the second one), each unshared at once.
func otherAccountNumber(image string) int {
	if n, err := strconv.Atoi(os.Getenv("OCS_COMPAT_OTHER_ACCOUNT_NUMBER")); err == nil {
		return n
	}
	var candidates []int
	for n := 10001; n <= 10030; n++ {
		candidates = append(candidates, n)
	}
	r, err := modifyShare(c, image, nil, candidates)
	must(c.ok(r, err))
	invalid := map[int]bool{}
	for _, n := range r.InvalidAccounts {
		invalid[n] = true
	}
	for _, n := range candidates {
		if invalid[n] {
			continue
		}
		add, err := modifyShare(c, image, []int{n}, nil)
		must(c.ok(add, err))
		accounts, err := shareAccounts(c, image)
		must(c.ok(accounts, err))
		rm, err := modifyShare(c, image, nil, []int{n})
		must(c.ok(rm, err))
		if len(accounts.AccountSet) == 1 && accounts.AccountSet[0].AccountName == otherName {
			return n
		}
	}
	must(fmt.Errorf("no account named %s among the numbers 10001-10030", otherName))
	return 0
}

func share() error {
	image := s.state["cimage"]
	number := otherAccountNumber(image)
	resp, err := modifyShare(c, image, []int{number, 99999999}, nil)
	must(c.ok(resp, err))
	must(equal(resp.InvalidAccounts, []int{99999999}, "InvalidAccounts"))
	accounts, err := shareAccounts(c, image)
	must(c.ok(accounts, err))
	must(equal(accounts.AccountSet, []ucompshare.Projects{{AccountId: strconv.Itoa(number), AccountName: otherName}}, "AccountSet (AccountId a string)"))
	seen := sharingImages(other, image)
	must(equal(seen.TotalCount, 1, "TotalCount of the shared image for the other account"))
	img := seen.ImageSet[0]
	must(equal([]string{img.CompShareImageId, img.ImageOwnerAlias, img.Status}, []string{image, "Shared", "Available"}, "the shared image"))
	found := false
	for _, i := range sharingImages(other, "").ImageSet {
		found = found || i.CompShareImageId == image
	}
	expect(found, "the shared image is not in the other account's list")
	for _, i := range sharingImages(c, "").ImageSet {
		expect(i.CompShareImageId != image, "the owner's sharing list has its own image")
	}
	bad, err := modifyShare(other, image, []int{number}, nil)
	must(expectCode(bad, err, 226614, "ImageNotFound", ""))
	badAccounts, err := shareAccounts(other, image)
	must(expectCode(badAccounts, err, 226614, "ImageNotFound", ""))
	resp, err = modifyShare(c, image, nil, []int{number})
	must(c.ok(resp, err))
	must(equal(len(resp.InvalidAccounts), 0, "InvalidAccounts on removal"))
	accounts, err = shareAccounts(c, image)
	must(c.ok(accounts, err))
	must(equal(len(accounts.AccountSet), 0, "AccountSet after the removal"))
	must(equal(sharingImages(other, image).TotalCount, 0, "the other account's view after the removal"))
	bad, err = modifyShare(c, "compshareImage-nope", []int{number}, nil)
	return expectCode(bad, err, 226614, "ImageNotFound", "")
}

var communityName = fmt.Sprintf("go-compat-community-%d", os.Getpid())

func selfCommunity(group string) *ucompshare.DescribeSelfCommunityImagesResponse {
	req := c.NewDescribeSelfCommunityImagesRequest()
	onZone(req)
	if group != "" {
		req.GroupId = ucloud.String(group)
	}
	resp, err := c.DescribeSelfCommunityImages(req)
	must(c.ok(resp, err))
	return resp
}

func publish() error {
	image := s.state["cimage"]
	req := c.NewPublishCompShareImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(image)
	req.CommunityImageName = ucloud.String(communityName)
	req.Price = ucloud.Float64(0)
	req.Tags = []string{"LLM"}
	req.Description = ucloud.String("published by the compatibility suite")
	req.Readme = ucloud.String("# hello")
	req.AutoStart = ucloud.String("true") // a string in the SDK model
	req.Softwares = &ucompshare.PublishCompShareImageParamSoftwares{
		Applications: []string{"JupyterLab"}, CUDAVersion: ucloud.String("12.4"), Framework: ucloud.String("PyTorch"), FrameworkVersion: ucloud.String("2.4.0"),
	}
	resp, err := c.PublishCompShareImage(req)
	must(c.ok(resp, err))
	mine := selfCommunity("")
	var groups []ucompshare.CompshareImageGroup
	for _, g := range mine.ImageSetGroup {
		if g.ImageName == communityName {
			groups = append(groups, g)
		}
	}
	must(equal(len(groups), 1, "groups named "+communityName))
	g := groups[0]
	expect(strings.HasPrefix(g.GroupId, "group-") && g.Status == "Available" && !g.IsFavorite, "the group %+v", g)
	must(equal(len(g.Data), 1, "versions of the group"))
	v := g.Data[0]
	must(equal(
		[]interface{}{v.VersionName, v.Status, v.ImageType, v.Visibility, v.Price, v.AutoStart, v.Container, v.Tags, v.GroupId, v.Softwares.Applications},
		[]interface{}{"v1.0", "Available", "Community", 1, 0.0, true, "True", []string{"LLM"}, g.GroupId, []string{"JupyterLab"}},
		"the published version"))
	var raw communityListing
	must(json.Unmarshal(c.body, &raw))
	must(equal(raw.CompshareImageGroup, raw.ImageSetGroup, "CompshareImageGroup (docs) vs ImageSetGroup (SDK)"))
	s.state["group"] = g.GroupId
	s.state["version"] = v.CompShareImageId
	one := selfCommunity(g.GroupId)
	expect(len(one.ImageSetGroup) == 1 && one.ImageSetGroup[0].GroupId == g.GroupId, "DescribeSelfCommunityImages by GroupId: %+v", one.ImageSetGroup)
	// A second version of the group: GroupId and VersionName are the docs' (not in the SDK model).
	second := &publishVersionRequest{CompShareImageId: ucloud.String(image), GroupId: ucloud.String(g.GroupId), VersionName: ucloud.String("v2.0"), VersionDesc: ucloud.String("second"), Price: ucloud.Float64(0)}
	onZone(second)
	second.SetRetryable(false)
	must(c.call("PublishCompShareImage", second, &emptyResponse{}))
	var versions, ids []string
	for _, x := range selfCommunity(g.GroupId).ImageSetGroup[0].Data {
		versions = append(versions, x.VersionName)
		ids = append(ids, x.CompShareImageId)
	}
	sort.Strings(versions)
	sort.Strings(ids)
	must(equal(versions, []string{"v1.0", "v2.0"}, "versions after the second publish"))
	s.state["versions"] = strings.Join(ids, ",")
	return nil
}

func publishErrors() error {
	image := s.state["cimage"]
	try := func(client *sdk, id string) (*ucompshare.PublishCompShareImageResponse, error) {
		req := client.NewPublishCompShareImageRequest()
		onZone(req)
		req.CompShareImageId = ucloud.String(id)
		req.Price = ucloud.Float64(0)
		return client.PublishCompShareImage(req)
	}
	r, err := try(c, "compshareImage-nope")
	must(expectCode(r, err, 226614, "ImageNotFound", ""))
	r, err = try(other, image)
	must(expectCode(r, err, 226614, "ImageNotFound", ""))
	again := &publishVersionRequest{CompShareImageId: ucloud.String(image), GroupId: ucloud.String(s.state["group"]), VersionName: ucloud.String("v2.0"), Price: ucloud.Float64(0)}
	onZone(again)
	resp := &emptyResponse{}
	return expectPrefix(resp, c.invoke("PublishCompShareImage", again, resp), 230, "Params [VersionName] not available")
}

func communityImages(client *sdk, configure func(*ucompshare.DescribeCommunityImagesRequest)) *ucompshare.DescribeCommunityImagesResponse {
	req := client.NewDescribeCommunityImagesRequest()
	onZone(req)
	configure(req)
	resp, err := client.DescribeCommunityImages(req)
	must(client.ok(resp, err))
	return resp
}

func byGroup(client *sdk, group string) *communityListing {
	resp := &communityListing{}
	must(client.call("DescribeCommunityImages", &groupRequest{GroupId: ucloud.String(group)}, resp))
	return resp
}

func community() error {
	group, version := s.state["group"], s.state["version"]
	byName := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) })
	must(equal(byName.TotalCount, 1, "TotalCount by Name"))
	// Name matches the versions' names; the second version kept its image's name.
	expect(len(byName.ImageSet) == 1 && byName.ImageSet[0].CompShareImageId == version, "ImageSet by Name: %+v", byName.ImageSet)
	// GroupId is the docs' and the CLI's filter (not in the SDK model): every version of the group.
	listed := byGroup(c, group)
	var ids []string
	for _, i := range listed.ImageSet {
		ids = append(ids, i.CompShareImageId)
	}
	sort.Strings(ids)
	must(equal(strings.Join(ids, ","), s.state["versions"], "ImageSet by GroupId (InvokeAction)"))
	must(equal(listed.ImageSetGroup, listed.CompshareImageGroup, "ImageSetGroup vs CompshareImageGroup"))
	byID := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.CompShareImageId = ucloud.String(version) })
	expect(len(byID.ImageSet) == 1 && byID.ImageSet[0].CompShareImageId == version, "by CompShareImageId: %+v", byID.ImageSet)
	official := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.CompShareImageId = ucloud.String("compshareImage-community-sdwebui")
	})
	must(equal(len(official.ImageSet), 1, "the official image"))
	o := official.ImageSet[0]
	must(equal(
		[]interface{}{o.GroupId, o.IsOfficial, o.AuthInfo, o.Price, o.Container, o.AutoStart, o.Status},
		[]interface{}{"group-official-sdwebui", true, 1, 0.0, "True", true, "Available"},
		"the official community image"))
	tagged := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.Tag = ucloud.String("LLM")
		r.Limit = ucloud.String("100") // a string in the SDK model
	})
	groups := map[string]bool{}
	for _, i := range tagged.ImageSet {
		groups[i.GroupId] = true
	}
	expect(groups[group] && !groups["group-official-sdwebui"], "Tag=LLM: %v", groups)
	page := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.Limit = ucloud.String("1")
		r.Offset = ucloud.Int(0)
		r.SortCondition = &ucompshare.DescribeCommunityImagesParamSortCondition{Field: ucloud.String("PubTime"), ASC: ucloud.String("false")}
	})
	pageGroups := map[string]bool{}
	for _, i := range page.ImageSet {
		pageGroups[i.GroupId] = true
	}
	expect(page.TotalCount >= 2 && len(pageGroups) == 1, "Limit=1 counts groups: TotalCount %d, groups %v", page.TotalCount, pageGroups)
	user := func(client *sdk) *ucompshare.DescribeUserCommunityImagesResponse {
		req := client.NewDescribeUserCommunityImagesRequest()
		onZone(req)
		req.Name = ucloud.String(communityName)
		req.IsFree = ucloud.Bool(true)
		resp, err := client.DescribeUserCommunityImages(req)
		must(client.ok(resp, err))
		return resp
	}
	mine := user(c)
	expect(len(mine.ImageSetGroup) == 1 && mine.ImageSetGroup[0].GroupId == group, "DescribeUserCommunityImages of the caller: %+v", mine.ImageSetGroup)
	must(equal(user(other).TotalCount, 0, "the other account has published nothing"))
	seen := communityImages(other, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) })
	return equal(seen.TotalCount, 1, "another account sees the public version")
}

func favorite(client *sdk, action, group string) error {
	resp := &emptyResponse{}
	return client.call(action, &groupRequest{GroupId: ucloud.String(group)}, resp)
}

func favorites() error {
	group := s.state["group"]
	mine := func() ucompshare.CompshareImageGroup { return selfCommunity(group).ImageSetGroup[0] }
	must(favorite(c, "CreateCompShareImageFavorite", group))
	g := mine()
	must(equal([]interface{}{g.IsFavorite, g.FavoritesCount}, []interface{}{true, 1}, "IsFavorite and FavoritesCount after CreateCompShareImageFavorite"))
	must(favorite(other, "CreateCompShareImageFavorite", group))
	must(equal(mine().FavoritesCount, 2, "FavoritesCount after the other account's favorite"))
	must(favorite(c, "CreateCompShareImageFavorite", group))
	must(equal(mine().FavoritesCount, 2, "a second favorite of the same account counts once"))
	must(favorite(c, "DeleteCompShareImageFavorite", group))
	g = mine()
	must(equal([]interface{}{g.IsFavorite, g.FavoritesCount}, []interface{}{false, 1}, "after DeleteCompShareImageFavorite"))
	must(favorite(other, "DeleteCompShareImageFavorite", group))
	must(favorite(c, "DeleteCompShareImageFavorite", group)) // not a favorite: still succeeds
	must(equal(mine().FavoritesCount, 0, "FavoritesCount at the end"))
	// The public listing shows it too (the official group is left alone: other suites count its favorites).
	must(favorite(c, "CreateCompShareImageFavorite", group))
	listed := byGroup(c, group).CompshareImageGroup
	expect(len(listed) == 1 && listed[0].IsFavorite && listed[0].FavoritesCount == 1, "DescribeCommunityImages of the favorite group: %+v", listed)
	seen := byGroup(other, group).CompshareImageGroup
	expect(len(seen) == 1 && !seen[0].IsFavorite, "IsFavorite is the caller's: %+v", seen)
	must(favorite(c, "DeleteCompShareImageFavorite", group))
	listed = byGroup(c, group).CompshareImageGroup
	expect(len(listed) == 1 && !listed[0].IsFavorite, "DescribeCommunityImages after the delete: %+v", listed)
	resp := &emptyResponse{}
	must(expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{GroupId: ucloud.String("group-doesnotexist")}, resp), 226614, "ImageNotFound", ""))
	resp = &emptyResponse{}
	return expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{}, resp), 220, "", "Missing params [GroupId]")
}

func terminateImage(id string) (*ucompshare.TerminateCompShareCustomImageResponse, error) {
	req := c.NewTerminateCompShareCustomImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	return c.TerminateCompShareCustomImage(req)
}

func takeDown() error {
	image := s.state["cimage"]
	tr, err := terminateImage(image)
	must(expectCode(tr, err, 226618, "ImagePublished", ""))
	for _, v := range strings.Split(s.state["versions"], ",") {
		r, err := updateImage(c, v, func(r *ucompshare.UpdateCompShareImageRequest) { r.Visibility = ucloud.Int(0) })
		must(c.ok(r, err))
	}
	must(equal(byGroup(c, s.state["group"]).TotalCount, 0, "public versions after Visibility 0"))
	must(equal(communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) }).TotalCount, 0, "by Name after Visibility 0"))
	var statuses []string
	for _, x := range selfCommunity(s.state["group"]).ImageSetGroup[0].Data {
		statuses = append(statuses, x.Status)
	}
	must(equal(statuses, []string{"Offline", "Offline"}, "the versions in the owner's list"))
	resp := &emptyResponse{}
	must(expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{GroupId: ucloud.String(s.state["group"])}, resp), 226614, "ImageNotFound", ""))
	tr, err = terminateImage(image)
	must(c.ok(tr, err))
	img, err := customImageByID(image)
	must(err)
	expect(img == nil, "the custom image is not deleted")
	return nil
}

func containerCleanup() error {
	terminateAndWait(c, s.state["container"])
	return nil
}

// ---------------------------------------------------------------------------------------------
// Only images of container instances are published.

// refusePublish: a VM's image is ImageNotPublishable; if published after all, its versions are
// taken down so that the image can be deleted later.
func refusePublish(image string) error {
	name := "go-vm-" + image
	req := c.NewPublishCompShareImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(image)
	req.Price = ucloud.Float64(0)
	req.CommunityImageName = ucloud.String(name)
	resp, err := c.PublishCompShareImage(req)
	if e := expectCode(resp, err, 226617, "ImageNotPublishable", ""); e != nil {
		for _, g := range selfCommunity("").ImageSetGroup {
			if g.ImageName == name {
				for _, v := range g.Data {
					_, _ = updateImage(c, v.CompShareImageId, func(r *ucompshare.UpdateCompShareImageRequest) { r.Visibility = ucloud.Int(0) })
				}
			}
		}
		return e
	}
	return nil
}

func freshVMImage() error {
	vm := createNamed(c, "go-vm-image", nil)
	defer terminateAndWait(c, vm)
	image := customImageOf(vm, "go-vm-image")
	img, err := customImageByID(image)
	must(err)
	must(equal(img.Container, "False", "Container of a VM's image"))
	must(refusePublish(image))
	tr, err := terminateImage(image)
	return c.ok(tr, err)
}

func reinstalledVMImage() error {
	// main.go's instance `a` is a virtual machine (made from Ubuntu) reinstalled from the PyTorch
	// (App) image; its custom image is still a virtual machine's.
	h := mustDescribe(c, s.state["a"])
	must(equal([]string{h.InstanceType, h.CompShareImageId}, []string{"UHost", pytorch}, "instance a: a virtual machine running the App image"))
	return refusePublish(s.state["image"])
}

// ---------------------------------------------------------------------------------------------
// Typed methods of the SDK whose actions the server does not implement.

func notImplemented() error {
	type call struct {
		action string
		run    func() (response.Common, error)
	}
	calls := []call{
		{"AttachUS3", func() (response.Common, error) {
			r := c.NewAttachUS3Request()
			onZone(r)
			r.UHostId = ucloud.String(notFound)
			return c.AttachUS3(r)
		}},
		{"GetSoftwareURL", func() (response.Common, error) {
			r := c.NewGetSoftwareURLRequest()
			onZone(r)
			r.UHostId = ucloud.String(notFound)
			r.Software = ucloud.String("JupyterLab")
			return c.GetSoftwareURL(r)
		}},
		{"CopyCompShareCustomImage", func() (response.Common, error) {
			r := c.NewCopyCompShareCustomImageRequest()
			r.CompShareImageId = ucloud.String("compshareImage-nope")
			return c.CopyCompShareCustomImage(r)
		}},
		{"DescribeModelRepositoryTags", func() (response.Common, error) {
			r := c.NewDescribeModelRepositoryTagsRequest()
			onZone(r)
			return c.DescribeModelRepositoryTags(r)
		}},
		{"GetOpenClawModelList", func() (response.Common, error) {
			return c.GetOpenClawModelList(c.NewGetOpenClawModelListRequest())
		}},
	}
	for _, x := range calls {
		resp, err := x.run()
		if e := expectCode(resp, err, 161, "", "Action ["+x.action+"] not found"); e != nil {
			return fmt.Errorf("%s: %v", x.action, e)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------------

func runFamilies() {
	s.check("GetProjectList (uaccount typed, and InvokeAction): one default project, IsDefault a bool", nil, projects)
	s.check("GetProjectList with an unknown ProjectId: ProjectNotExists (292)", nil, projectsErrors)

	s.check("DescribeCompShareSupportZone: the zones of a region; an unknown Region is 230", nil, supportZone)
	s.check("DescribeCompShareMachineTypeFamilies: the typed method fails to decode MachineTypes (documented SDK conflict); InvokeAction with {Name, Description} works", nil, machineTypeFamilies)
	s.check("DescribeAvailableCompShareInstanceTypes: 4090 sizes, CPU platforms, disks; spot; unknown zone", nil, instanceTypes)
	s.check("CheckCompShareResourceCapacity (InvokeAction): Specs has {Gpu:1,Cpu:16,Mem:64,ResourceEnough:true}; errors", nil, resourceCapacity)
	s.check("DescribeCompShareSoftwarePort", nil, softwarePort)
	s.check("CheckCompShareNetOptimizer: Optimized a bool, Info per region", nil, netOptimizer)
	s.check("DescribeModelRepositoryModels: Name/Tags (SDK) and name (CLI, generic request) filters", nil, models)
	s.check("DescribeCompShareGpuInventory: a JSON string keyed as the SDK documents", nil, gpuInventory)
	s.check("DescribeCompShareImageTags: Tags, with TagsMap", nil, imageTags)

	s.check("GetCompShareInstancePrice: PriceDetail > 0, equal to the docs' PriceDetails; every charge type; errors", nil, instancePrice)
	s.check("GetCompShareInstanceUserPrice: the SDK's Cpu/Gpu and the docs' CPU/GPU; errors", nil, userPrice)
	s.check("Billing instances: a Day one and a Postpay one; InstancePrice equals the quoted price", nil, billingInstances)
	billing := []string{"day", "postpay"}
	s.check("GetCompShareInstanceUpgradePrice: prepaid and hourly; a wrong size is 230, an unknown instance 8039", billing, upgradePrice)
	s.check("GetCompShareRefundPrice: Code 0 and a refund for Day, nothing for Postpay, 8039 for unknown", billing, refundPrice)
	s.check("SwitchChargeType (InvokeAction): Day → Month → Year; from Postpay and backwards RetCode 230", billing, switchChargeType)
	s.check("GetCompShareInstanceMonitor: typed (empty model) and Data of the docs; errors", []string{"postpay"}, monitor)

	s.check("CreateAndAttachCompshareDisk (InvokeAction): a bsi- disk in the DiskSet; errors; operation record", []string{"postpay"}, diskCreate)
	s.check("DescribeCompshareDisk (InvokeAction): the CLI's inventory fields", []string{"disk"}, diskDescribe)
	s.check("GetCompShareAttachedDiskUpgradePrice: data and system disk; DiskNotFound (226616); shrinking is 230", []string{"disk", "boot"}, diskUpgradePrice)
	s.check("Disks on a Running instance: Detach/Resize need it Stopped (8010), Delete an attached disk 8434", []string{"disk"}, diskRunningErrors)
	s.check("ResizeCompShareDisk attached and detached, Detach, Attach, DeleteCompshareDisk (twice)", []string{"disk"}, diskLifecycle)
	s.check("Terminate the billing instances", billing, billingCleanup)

	s.check("A container instance (App image): InstanceType Container", nil, container)
	s.check("UpdateCompShareInstancePorts: HTTP and TCP ports in Softwares; errors", []string{"container"}, ports)
	s.check("UpdateCompShareInstancePorts on a virtual machine: 230", nil, portsOnVM)
	s.check("A custom image of the container instance: Container True", []string{"container"}, containerImage)
	s.check("UpdateCompShareImage: Description, Tags, Readme (typed), Name (InvokeAction); ImageNotFound", []string{"cimage"}, updateImageCheck)
	s.check("ModifyCompShareImageShareAccount, DescribeCompShareImageShareAccounts, DescribeCompShareSharingImages", []string{"cimage"}, share)
	s.check("PublishCompShareImage (typed; a second version by InvokeAction); DescribeSelfCommunityImages", []string{"cimage"}, publish)
	s.check("PublishCompShareImage errors: unknown image, another account's, a version that exists", []string{"cimage", "group"}, publishErrors)
	s.check("DescribeCommunityImages and DescribeUserCommunityImages: filters, Tag, Limit, SortCondition", []string{"group", "versions"}, community)
	s.check("Create/DeleteCompShareImageFavorite (InvokeAction): IsFavorite and FavoritesCount", []string{"group"}, favorites)
	s.check("A published image: Terminate is ImagePublished (226618); Visibility 0 takes it down; then deleted", []string{"cimage", "versions"}, takeDown)
	s.check("Terminate the container instance", []string{"container"}, containerCleanup)

	s.check("Not implemented by the server (reported): AttachUS3, GetSoftwareURL, CopyCompShareCustomImage, DescribeModelRepositoryTags, GetOpenClawModelList answer 161", nil, notImplemented)
}

// vmImageNotPublishable runs where main.go's VM image still exists.
func vmImageNotPublishable() {
	s.check("PublishCompShareImage of a fresh Ubuntu VM's image: ImageNotPublishable (226617)", nil, freshVMImage)
	s.check("PublishCompShareImage of the image of a VM reinstalled from an App image: ImageNotPublishable (226617)", []string{"image"}, reinstalledVMImage)
}
