// The suite's entry point: the clients of the two accounts, the passwords the scenario sets, and
// main, which runs every check in order: the seed's example (seed.go), the scenario of one instance
// (scenario.go) with the second account (other_account.go) and a custom image (custom_image.go),
// the error paths (error_paths.go), then the action families (families.go).
package main

import "encoding/base64"

var (
	s     = &suite{state: map[string]string{}}
	c     *sdk // the default account
	other *sdk // the second account, with its ProjectId in the config
)

func b64(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }

var (
	password1 = b64("Go-Compat-Passw0rd-1")
	password2 = b64("Go-Compat-Passw0rd-2")
	password3 = b64("Go-Compat-Passw0rd-3")
)

func main() {
	loadEnv()
	c = defaultSDK()
	other = otherSDK()

	s.check("seed example reboots an instance the suite created", nil, seedReboots)
	s.check("seed example on a Stopped instance prints InstanceStateInvalid (8905)", []string{"seed"}, seedOnStopped)
	s.check("seed example on a terminated instance prints InstanceNotFound (8039)", []string{"seed"}, seedOnTerminated)

	a := []string{"bootDisk"}
	s.check("DescribeCompShareImages: platform images, filters, paging", nil, images)
	s.check("CreateCompShareInstance with every optional field", nil, create)
	s.check("DescribeCompShareInstance: Running, strictly decoded, every field known to the SDK", []string{"a"}, describe)
	s.check("RebootCompShareInstance: Rebooting then Running; a second one is InstanceOperationInProgress; operation record", a, rebootTwice)
	s.check("Reinstall and Resize of a Running instance: InstanceMustBeStopped", a, needsStopped)
	s.check("StopCompShareInstance: Stopped; reboot and stop then InstanceStateInvalid", a, stopIt)
	s.check("ReinstallCompShareInstance: new image and password; reboot meanwhile InstanceBackgroundTask", a, reinstall)
	s.check("ResizeCompShareInstance: Resizing then Stopped with the new size", a, resize)
	s.check("StartCompShareInstance: Starting then Running", a, start)
	s.check("ResetCompShareInstancePassword", a, resetPassword)
	s.check("ModifyCompShareInstanceName", a, rename)
	s.check("Second account (ProjectId in the config) creates an instance", nil, secondAccountInstance)
	s.check("UpdateCompShareStopScheduler and DeleteCompShareStopScheduler (with Zone)", []string{"b"}, stopScheduler(true))
	s.check("Update/DeleteCompShareStopScheduler without Zone (optional in the SDK models)", []string{"b"}, stopScheduler(false))
	s.check("Terminate the second account's instance", []string{"b"}, secondAccountCleanup)
	s.check("Another account sees nothing and gets InstanceNotFound", a, isolation)
	s.check("Custom image: create, progress, InstanceImageMaking, Available", a, customImage)
	s.check("Custom image: another account cannot create from it (ImageNotFound)", []string{"image"}, customImageIsolation)
	vmImageNotPublishable()
	s.check("TerminateCompShareCustomImage", []string{"image"}, terminateCustomImage)
	s.check("TerminateCompShareInstance: InstanceRecycling, then released", a, terminateIt)

	s.check("Common errors: 220, 230, 171, 172, 161 with UCloud's wording", nil, commonErrors)
	s.check("Instance errors: InstanceNotFound, ImageNotFound, ResourceNotEnough", nil, instanceErrors)
	s.check("Retries: MaxRetries resends a reboot, never a Create", nil, retries)
	s.check("CreateCompShareInstance: Quantity=0 is refused (230), as CompShare documents", nil, quantityZero)
	s.check("CreateCompShareInstance: Quantity=2 is a duration and makes one instance", nil, quantity(2))

	runFamilies()

	s.done()
}
