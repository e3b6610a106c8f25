// Image sharing between the two accounts: ModifyCompShareImageShareAccount,
// DescribeCompShareImageShareAccounts and DescribeCompShareSharingImages, with the second account's
// number found by its name when the environment does not give it.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

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
