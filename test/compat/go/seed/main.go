// The seed document's Go example, unchanged except
// for three values: BaseUrl, the key pair and the UHostId come from the environment, so that the
// compatibility runner can point it at the local server and at an instance it created.
package main

import (
	"fmt"
	"os"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

type RebootCompShareInstanceRequest struct {
	request.CommonBase
	UHostId *string
}

type RebootCompShareInstanceResponse struct {
	response.CommonBase
	UHostId string `json:"UHostId"`
}

func main() {
	cfg := ucloud.NewConfig()
	cfg.Region = "cn-wlcb"
	cfg.BaseUrl = os.Getenv("OCS_COMPAT_BASE_URL") // changed: was "https://api.compshare.cn"

	credential := auth.NewCredential()
	credential.PublicKey = os.Getenv("OCS_COMPAT_PUBLIC_KEY")   // changed: was "my_public_key"
	credential.PrivateKey = os.Getenv("OCS_COMPAT_PRIVATE_KEY") // changed: was "my_private_key"

	client := ucloud.NewClient(&cfg, &credential)

	req := &RebootCompShareInstanceRequest{
		UHostId: ucloud.String(os.Getenv("OCS_COMPAT_UHOST_ID")), // changed: was "uhost-xxxx"
	}
	req.SetRegion("cn-wlcb")
	req.SetZone("cn-wlcb-01")

	resp := &RebootCompShareInstanceResponse{}
	if err := client.InvokeAction("RebootCompShareInstance", req, resp); err != nil {
		fmt.Printf("调用失败: RetCode=%d Msg=%s err=%v\n", resp.RetCode, resp.Message, err)
		return
	}
	fmt.Printf("重启成功: %s\n", resp.UHostId)
}
