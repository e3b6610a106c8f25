// Our structs for the generic path (InvokeAction): the docs' and the CLI's fields, with the SDK
// models' types, for the actions and the fields the SDK lacks. They are decoded as strictly as the
// SDK's own models (sdk.invoke and sdk.call in harness.go).
package main

import (
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

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
