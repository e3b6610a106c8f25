// The official Go SDK (github.com/ucloud/ucloud-sdk-go) against our server.
//
// A small check runner and helpers around the SDK. Every check prints one line,
// `ok - go: NAME` or `not ok - go: NAME: REASON`, which test/compat/run.ts counts. A check whose
// prerequisite failed is reported as failed too: nothing is ever skipped silently.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	uhttp "github.com/ucloud/ucloud-sdk-go/private/protocol/http"
	"github.com/ucloud/ucloud-sdk-go/services/uaccount"
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
	"github.com/ucloud/ucloud-sdk-go/ucloud/log"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

const (
	region  = "cn-wlcb"
	zone    = "cn-wlcb-01"
	ubuntu  = "compshareImage-ubuntu2204"
	pytorch = "compshareImage-pytorch24"
	comfyui = "compshareImage-comfyui"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type environment struct {
	baseURL, publicKey, privateKey                  string
	otherPublicKey, otherPrivateKey, otherProjectID string
	seedBin                                         string
	bootMs, imageMs                                 int
}

var env environment

func mustEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Printf("not ok - go: environment: %s is not set\n", name)
		os.Exit(2)
	}
	return v
}

func intEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func loadEnv() {
	env = environment{
		baseURL:         mustEnv("OCS_COMPAT_BASE_URL"),
		publicKey:       mustEnv("OCS_COMPAT_PUBLIC_KEY"),
		privateKey:      mustEnv("OCS_COMPAT_PRIVATE_KEY"),
		otherPublicKey:  mustEnv("OCS_COMPAT_OTHER_PUBLIC_KEY"),
		otherPrivateKey: mustEnv("OCS_COMPAT_OTHER_PRIVATE_KEY"),
		otherProjectID:  mustEnv("OCS_COMPAT_OTHER_PROJECT_ID"),
		seedBin:         mustEnv("OCS_COMPAT_GO_SEED_BIN"),
		bootMs:          intEnv("OCS_COMPAT_BOOT_MS", 300),
		imageMs:         intEnv("OCS_COMPAT_IMAGE_MS", 2000),
	}
}

// settle is how long any simulated operation may take, with a generous margin for a loaded machine.
func settle() time.Duration {
	return 20*time.Second + 10*time.Duration(env.bootMs+env.imageMs)*time.Millisecond
}

// ---------------------------------------------------------------------------------------------
// The SDK client, with the raw body of the last answer kept.

type sdk struct {
	*ucompshare.UCompShareClient
	// UCloud's account service (GetProjectList), with the same configuration and handlers.
	acct *uaccount.UAccountClient
	body []byte
	sent int
}

func newSDK(publicKey, privateKey string, configure ...func(*ucloud.Config)) *sdk {
	cfg := ucloud.NewConfig()
	cfg.Region = region
	cfg.BaseUrl = env.baseURL
	cfg.LogLevel = log.PanicLevel
	for _, f := range configure {
		f(&cfg)
	}
	cred := auth.NewCredential()
	cred.PublicKey = publicKey
	cred.PrivateKey = privateKey
	c := &sdk{UCompShareClient: ucompshare.NewClient(&cfg, &cred), acct: uaccount.NewClient(&cfg, &cred)}
	for _, client := range []*ucloud.Client{c.UCompShareClient.Client, c.acct.Client} {
		_ = client.AddHttpRequestHandler(func(_ *ucloud.Client, req *uhttp.HttpRequest) (*uhttp.HttpRequest, error) {
			c.sent++
			return req, nil
		})
		_ = client.AddHttpResponseHandler(func(_ *ucloud.Client, _ *uhttp.HttpRequest, resp *uhttp.HttpResponse, err error) (*uhttp.HttpResponse, error) {
			c.body = nil
			if resp != nil {
				c.body = append([]byte(nil), resp.GetBody()...)
			}
			return resp, err
		})
	}
	return c
}

// invoke calls an action through the SDK's generic path with our own request and response
// structs (InvokeAction, as the docs' Go examples do): the same encoder and strict decoder.
func (c *sdk) invoke(action string, req request.Common, resp response.Common) error {
	c.SetupRequest(req)
	return c.InvokeAction(action, req, resp)
}

// call is invoke, then ok: no error, and every field of the answer known to the struct.
func (c *sdk) call(action string, req request.Common, resp response.Common) error {
	return c.ok(resp, c.invoke(action, req, resp))
}

func defaultSDK() *sdk { return newSDK(env.publicKey, env.privateKey) }

func otherSDK() *sdk {
	return newSDK(env.otherPublicKey, env.otherPrivateKey, func(c *ucloud.Config) { c.ProjectId = env.otherProjectID })
}

// ok turns the result of a typed call into an error: the SDK's own error (a strict decoding
// failure is a server.ResponseBodyError), or a field of the answer that the SDK's model lacks.
func (c *sdk) ok(resp response.Common, err error) error {
	if err != nil {
		return describeErr(err)
	}
	if !uuidRe.MatchString(resp.GetRequestUUID()) {
		return fmt.Errorf("the answer has no X-UCLOUD-REQUEST-UUID (got %q)", resp.GetRequestUUID())
	}
	var raw interface{}
	if jerr := json.Unmarshal(c.body, &raw); jerr != nil {
		return fmt.Errorf("the answer is not JSON: %v", jerr)
	}
	allowed := extras[strings.TrimSuffix(resp.GetAction(), "Response")]
	var unknown []string
	for _, u := range unknownFields(raw, reflect.TypeOf(resp), "", true) {
		if !allowed[u] {
			unknown = append(unknown, u)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s: the SDK's model does not know the field(s) %s the server returned",
			reflect.TypeOf(resp).Elem().Name(), strings.Join(unknown, ", "))
	}
	return nil
}

// extras are the fields the server sends on purpose although the SDK models lack them: the
// docs' and the CompShare CLI's names, listed in docs/compatibility.md. Any other field the
// model lacks is a failure.
var extras = func() map[string]map[string]bool {
	set := func(paths ...string) map[string]bool {
		m := map[string]bool{}
		for _, p := range paths {
			m[p] = true
		}
		return m
	}
	image := []string{"QrCodeUrl", "SoftwarePorts", "SupportedGpuTypes", "UpdateTime"}
	under := func(prefix string) []string {
		var out []string
		for _, f := range image {
			out = append(out, prefix+f)
		}
		return out
	}
	price := []string{"PriceDetails", "OriginalPriceDetails", "ListPriceDetails",
		"PriceDetail[].SystemDisks", "OriginalPriceDetail[].SystemDisks", "ListPriceDetail[].SystemDisks"}
	grouped := append([]string{"CompshareImageGroup", "ImageSet"}, under("ImageSetGroup[].Data[].")...)
	community := append([]string{"CompshareImageGroup", "ImageSetGroup", "AvailableTotalCount"}, under("ImageSet[].")...)
	// Our own structs of the generic path decode both groupings: their items have the SDK's image model.
	community = append(append(community, under("CompshareImageGroup[].Data[].")...), under("ImageSetGroup[].Data[].")...)
	return map[string]map[string]bool{
		"DescribeCompShareInstance":               set("UHostSet[].Region", "UHostSet[].SchedulerStopTime"),
		"DescribeCompShareImages":                 set(under("ImageSet[].")...),
		"DescribeCompShareCustomImages":           set(under("ImageSet[].")...),
		"DescribeCompShareSharingImages":          set(under("ImageSet[].")...),
		"DescribeCommunityImages":                 set(community...),
		"DescribeSelfCommunityImages":             set(grouped...),
		"DescribeUserCommunityImages":             set(grouped...),
		"GetCompShareImageCreateProgress":         set("Status", "Progress"),
		"TerminateCompShareInstance":              set("InRecycle"),
		"UpdateCompShareStopScheduler":            set("UHostId"),
		"DeleteCompShareStopScheduler":            set("UHostId"),
		"DescribeCompShareMachineTypeFamilies":    set("MachineTypesMap"),
		"DescribeAvailableCompShareInstanceTypes": set("AvailableInstanceTypes[].Description"),
		"CheckCompShareNetOptimizer":              set("Info"),
		"DescribeCompShareImageTags":              set("TagsMap", "TagIndex"),
		"GetCompShareInstancePrice":               set(price...),
		"GetCompShareInstanceUserPrice":           set(price...),
		"GetCompShareRefundPrice":                 set("RefundPriceSet[].Message"),
		"GetCompShareInstanceMonitor":             set("Data"),
	}
}()

// unknownFields lists the keys of raw (exact spelling) that the Go type has no field for.
// (encoding/json itself ignores unknown keys and matches names case-insensitively.)
func unknownFields(raw interface{}, t reflect.Type, path string, top bool) []string {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		m, isMap := raw.(map[string]interface{})
		if !isMap {
			return nil // a type mismatch: the SDK's decoder reports it
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for k, v := range m {
			where := k
			if path != "" {
				where = path + "." + k
			}
			ft, known := fields[k]
			if !known {
				out = append(out, where)
				continue
			}
			out = append(out, unknownFields(v, ft, where, false)...)
		}
	case reflect.Slice:
		items, isList := raw.([]interface{})
		if !isList {
			return nil
		}
		for _, item := range items {
			out = append(out, unknownFields(item, t.Elem(), path+"[]", false)...)
		}
	}
	return dedupe(out)
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, into)
			continue
		}
		if f.PkgPath != "" { // unexported
			continue
		}
		name := f.Name
		if tag := strings.Split(f.Tag.Get("json"), ",")[0]; tag != "" && tag != "-" {
			name = tag
		}
		into[name] = f.Type
	}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func describeErr(err error) error {
	if e, isSDK := err.(uerr.Error); isSDK {
		if e.Name() == uerr.ErrRetCode {
			return fmt.Errorf("unexpected RetCode %d: %s", e.Code(), e.Message())
		}
		return fmt.Errorf("the SDK failed: [%s] %s", e.Name(), e.Message())
	}
	return fmt.Errorf("the SDK failed: %v", err)
}

// expectCode checks an error of a call: a RetCode error with this code, its Message starting
// with `symbol: ` (or equal to message when symbol is empty), and the request UUID.
func expectCode(resp response.Common, err error, code int, symbol, message string) error {
	if err == nil {
		return fmt.Errorf("expected RetCode %d (%s%s), but the call succeeded", code, symbol, message)
	}
	e, isSDK := err.(uerr.Error)
	if !isSDK || e.Name() != uerr.ErrRetCode {
		return fmt.Errorf("expected RetCode %d, got %v", code, describeErr(err))
	}
	if e.Code() != code {
		return fmt.Errorf("expected RetCode %d, got %d: %s", code, e.Code(), e.Message())
	}
	if symbol != "" && !strings.HasPrefix(e.Message(), symbol+": ") {
		return fmt.Errorf("Message should start with %q: got %q", symbol+": ", e.Message())
	}
	if symbol == "" && message != "" && e.Message() != message {
		return fmt.Errorf("Message: got %q, want %q", e.Message(), message)
	}
	if resp.GetRetCode() != code || resp.GetMessage() != e.Message() {
		return fmt.Errorf("the response struct should carry RetCode %d and the Message: got %d %q", code, resp.GetRetCode(), resp.GetMessage())
	}
	if !uuidRe.MatchString(resp.GetRequestUUID()) {
		return fmt.Errorf("the error answer has no X-UCLOUD-REQUEST-UUID (got %q)", resp.GetRequestUUID())
	}
	return nil
}

// expectPrefix is expectCode for a Message that starts with prefix (`Params [Cpu] not available: …`).
func expectPrefix(resp response.Common, err error, code int, prefix string) error {
	if e := expectCode(resp, err, code, "", ""); e != nil {
		return e
	}
	if !strings.HasPrefix(resp.GetMessage(), prefix) {
		return fmt.Errorf("Message should start with %q: got %q", prefix, resp.GetMessage())
	}
	return nil
}

// whenFree calls fn until it is not refused with InstanceOperationInProgress (226610) or
// InstanceBackgroundTask (226613), which end by themselves.
func whenFree(fn func() error) error {
	deadline := time.Now().Add(settle())
	for {
		err := fn()
		if code := codeOf(err); (code != 226610 && code != 226613) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func codeOf(err error) int {
	if err == nil {
		return 0
	}
	if e, isSDK := err.(uerr.Error); isSDK && e.Name() == uerr.ErrRetCode {
		return e.Code()
	}
	return -1
}

func equal(got, want interface{}, what string) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: got %#v, want %#v", what, got, want)
	}
	return nil
}

func first(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// until polls fn until it reports done; fails after timeout.
func until(timeout time.Duration, what string, fn func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := fn()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------------------
// The runner.

type suite struct {
	passed, failed int
	state          map[string]string
}

func (s *suite) check(name string, needs []string, fn func() error) {
	label := "go: " + name
	var missing []string
	for _, n := range needs {
		if _, ok := s.state[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		s.failed++
		fmt.Printf("not ok - %s: prerequisite failed (%s)\n", label, strings.Join(missing, ", "))
		return
	}
	started := time.Now()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				if f, isFailure := r.(checkFailure); isFailure {
					err = f.err
					return
				}
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		return fn()
	}()
	if err != nil {
		s.failed++
		lines := strings.Split(err.Error(), "\n")
		fmt.Printf("not ok - %s: %s\n", label, lines[0])
		for _, l := range lines[1:] {
			fmt.Printf("#   %s\n", l)
		}
		return
	}
	s.passed++
	fmt.Printf("ok - %s (%.1fs)\n", label, time.Since(started).Seconds())
}

// checkFailure carries a check's error out of must.
type checkFailure struct{ err error }

// must ends the running check with err, if any (check reports it as the check's failure).
func must(err error) {
	if err != nil {
		panic(checkFailure{err})
	}
}

// expect ends the running check when cond is false.
func expect(cond bool, format string, args ...interface{}) {
	if !cond {
		panic(checkFailure{fmt.Errorf(format, args...)})
	}
}

func (s *suite) done() {
	fmt.Printf("# go: %d passed, %d failed\n", s.passed, s.failed)
	if s.failed > 0 {
		os.Exit(1)
	}
}
