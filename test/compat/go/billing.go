// Pricing and billing: instance and user prices, then two billing instances (Day and Postpay) with
// their upgrade and refund prices and the charge type switches (SwitchChargeType, through
// InvokeAction), and their termination once the disks are done.
package main

import (
	"strconv"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

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

func billingCleanup() error {
	terminateAndWait(c, s.state["day"])
	terminateAndWait(c, s.state["postpay"])
	return nil
}
