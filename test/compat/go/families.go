// The action families beyond the instance lifecycle, through the official Go SDK: catalog, projects
// (uaccount), pricing and billing, monitoring, ports, data disks, image sharing and the community.
// Every action with a typed method is called through it (ucompshare.UCompShareClient,
// uaccount.UAccountClient); the actions the SDK lacks go through InvokeAction with our own request
// and response structs, decoded as strictly as the SDK's. This file holds the helpers they share
// and runFamilies, which runs their checks in order; each family is a file of its own (projects.go,
// catalog.go, billing.go, monitor.go, disks.go, containers.go, container_images.go, sharing.go,
// community.go, vm_images.go, not_implemented.go), and the structs of the generic path are in
// generic_structs.go.
package main

import (
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
)

const (
	otherName = "compat-other" // the name test/compat/run.ts gives the second account
	notFound  = "uhost-doesnotexist"
)

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
	must(stopForTerminate(client, id))
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

// vmImageNotPublishable runs from main.go while the VM image of custom_image.go still exists.
func vmImageNotPublishable() {
	s.check("PublishCompShareImage of a fresh Ubuntu VM's image: ImageNotPublishable (226617)", nil, freshVMImage)
	s.check("PublishCompShareImage of the image of a VM reinstalled from an App image: ImageNotPublishable (226617)", []string{"image"}, reinstalledVMImage)
}
