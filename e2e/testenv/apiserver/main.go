// Command avigw-testenv-apiserver runs an embedded etcd and a real kube-apiserver
// on 127.0.0.1 for integration tests, in one process.
//
// It generates its own CA, serving certificate, ServiceAccount signing key and
// bearer tokens in --dir, waits until /readyz is ok, writes --dir/kubeconfig and
// prints exactly one line `READY {json}` on stdout. It stops (and removes --dir)
// on SIGTERM/SIGINT, when stdin reaches EOF, or when its parent process goes away,
// so a test binary that dies cannot leave it running.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap/zapcore"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// tokenUser is one line of the static token file.
type tokenUser struct {
	Name   string   `json:"name"`
	Token  string   `json:"token"`
	Groups []string `json:"groups"`
}

// readyInfo is printed after READY so the caller needs no file parsing.
type readyInfo struct {
	URL        string      `json:"url"`
	Kubeconfig string      `json:"kubeconfig"`
	CAFile     string      `json:"ca_file"`
	CAKeyFile  string      `json:"ca_key_file"`
	AdminToken string      `json:"admin_token"`
	Users      []tokenUser `json:"users"`
	EtcdURL    string      `json:"etcd_url"`
	Pid        int         `json:"pid"`
}

type userFlags []string

func (u *userFlags) String() string     { return strings.Join(*u, " ") }
func (u *userFlags) Set(v string) error { *u = append(*u, v); return nil }

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("avigw-testenv-apiserver", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory (certs, etcd data, kubeconfig); created, and removed on exit unless --keep")
	keep := fs.Bool("keep", false, "keep --dir on exit (debugging)")
	watchStdin := fs.Bool("watch-stdin", true, "exit when stdin reaches EOF (the parent closed it or died)")
	var users userFlags
	fs.Var(&users, "user", "extra token user NAME[:GROUP1,GROUP2] (repeatable); tokens are generated")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "--dir is required")
		return 2
	}
	// Everything after the flags (e.g. after "--") goes to kube-apiserver verbatim.
	extraArgs := fs.Args()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go watchForExit(ctx, cancel, *watchStdin)

	code := serve(ctx, *dir, users, extraArgs)
	if !*keep {
		_ = os.RemoveAll(*dir)
	}
	return code
}

// watchForExit cancels ctx on a signal, on stdin EOF, or when the parent changes
// (re-parenting to init/subreaper means the test binary is gone).
func watchForExit(ctx context.Context, cancel context.CancelFunc, watchStdin bool) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	stdinEOF := make(chan struct{})
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinEOF)
		}()
	}
	ppid := os.Getppid()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "testenv: got %v, shutting down\n", s)
		case <-stdinEOF:
			fmt.Fprintln(os.Stderr, "testenv: stdin closed, shutting down")
		case <-tick.C:
			if os.Getppid() == ppid {
				continue
			}
			fmt.Fprintln(os.Stderr, "testenv: parent exited, shutting down")
		}
		cancel()
		// A stuck graceful shutdown must not outlive the test run. Further signals are
		// not taken as "exit now": when a multi-threaded parent dies the kernel may send
		// PR_SET_PDEATHSIG more than once, and a graceful stop also removes --dir.
		time.AfterFunc(15*time.Second, func() {
			fmt.Fprintln(os.Stderr, "testenv: shutdown timed out, exiting")
			os.Exit(1)
		})
		return
	}
}

func serve(ctx context.Context, dir string, extraUsers []string, extraArgs []string) int {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	pki, err := writePKI(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: pki: %v\n", err)
		return 1
	}
	users, err := writeTokens(dir, extraUsers)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: tokens: %v\n", err)
		return 1
	}

	etcd, etcdURL, err := startEtcd(ctx, filepath.Join(dir, "etcd"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: etcd: %v\n", err)
		return 1
	}
	defer etcd.Close()

	// Our own listener on port 0: no free-port race with concurrent test binaries.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: listen: %v\n", err)
		return 1
	}
	port := ln.Addr().(*net.TCPAddr).Port
	apiURL := fmt.Sprintf("https://127.0.0.1:%d", port)

	args := []string{
		"--etcd-servers=" + etcdURL,
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--client-ca-file=" + pki.caCert,
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		// Nothing creates the default ServiceAccount in an apiserver-only cluster.
		"--disable-admission-plugins=ServiceAccount",
		// Publishing 127.0.0.1 as the kubernetes endpoint is refused by validation.
		"--endpoint-reconciler-type=none",
		"--advertise-address=127.0.0.1",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		"--api-audiences=https://kubernetes.default.svc",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	}
	args = append(args, extraArgs...)

	apiErr := make(chan error, 1)
	go func() { apiErr <- runAPIServer(ctx, ln, args) }()

	if err := waitReady(ctx, apiURL, pki.caCert, users[0].Token, apiErr); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: apiserver not ready: %v\n", err)
		return 1
	}

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, apiURL, pki.caCert, users[0]); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: kubeconfig: %v\n", err)
		return 1
	}
	info := readyInfo{
		URL:        apiURL,
		Kubeconfig: kubeconfig,
		CAFile:     pki.caCert,
		CAKeyFile:  pki.caKey,
		AdminToken: users[0].Token,
		Users:      users[1:],
		EtcdURL:    etcdURL,
		Pid:        os.Getpid(),
	}
	line, err := json.Marshal(info)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	fmt.Printf("READY %s\n", line)

	select {
	case <-ctx.Done():
		select {
		case <-apiErr:
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "testenv: apiserver did not stop in time")
		}
		return 0
	case err := <-apiErr:
		fmt.Fprintf(os.Stderr, "testenv: apiserver exited: %v\n", err)
		return 1
	}
}

// runAPIServer does what kube-apiserver's cobra command does, minus its process-wide
// signal handler (we own shutdown) and with our pre-bound listener.
func runAPIServer(ctx context.Context, ln net.Listener, args []string) error {
	s := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	featureGate := s.GenericServerRunOptions.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)
	if err := logsapi.ValidateAndApply(s.Logs, featureGate); err != nil {
		return err
	}
	s.SecureServing.Listener = ln
	s.SecureServing.BindPort = ln.Addr().(*net.TCPAddr).Port
	s.SecureServing.BindAddress = net.ParseIP("127.0.0.1")
	s.SecureServing.ExternalAddress = net.ParseIP("127.0.0.1")

	completed, err := s.Complete(ctx)
	if err != nil {
		return err
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return utilerrors.NewAggregate(errs)
	}
	return app.Run(ctx, completed)
}

func startEtcd(ctx context.Context, dataDir string) (*embed.Etcd, string, error) {
	var lastErr error
	// Free ports are picked by bind-and-close; retry in the rare case another
	// process grabs one in between.
	for attempt := 0; attempt < 5; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, "", err
		}
		_ = os.RemoveAll(dataDir)
		cfg := embed.NewConfig()
		cfg.Name = "testenv"
		cfg.Dir = dataDir
		cfg.LogLevel = zapcore.ErrorLevel.String()
		cfg.LogOutputs = []string{"stderr"}
		// Test data is disposable: skip fsync, the slowest part of etcd writes.
		cfg.UnsafeNoFsync = true
		clientURL, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[0]))
		peerURL, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[1]))
		cfg.ListenClientUrls = []url.URL{*clientURL}
		cfg.AdvertiseClientUrls = []url.URL{*clientURL}
		cfg.ListenPeerUrls = []url.URL{*peerURL}
		cfg.AdvertisePeerUrls = []url.URL{*peerURL}
		cfg.ListenMetricsUrls = nil
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, clientURL.String(), nil
		case err := <-e.Err():
			e.Close()
			lastErr = err
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, "", errors.New("etcd did not become ready in 60s")
		case <-ctx.Done():
			e.Close()
			return nil, "", ctx.Err()
		}
	}
	return nil, "", lastErr
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitReady(ctx context.Context, apiURL, caFile, token string, apiErr <-chan error) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	deadline := time.Now().Add(120 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		select {
		case err := <-apiErr:
			return fmt.Errorf("apiserver exited: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/readyz", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return fmt.Errorf("timed out after 120s, last: %s", last)
}

type pkiFiles struct {
	caCert, caKey, servingCert, servingKey, saKey string
}

func writePKI(dir string) (pkiFiles, error) {
	p := pkiFiles{
		caCert:      filepath.Join(dir, "ca.crt"),
		caKey:       filepath.Join(dir, "ca.key"),
		servingCert: filepath.Join(dir, "serving.crt"),
		servingKey:  filepath.Join(dir, "serving.key"),
		saKey:       filepath.Join(dir, "sa.key"),
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "avigw-testenv-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return p, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return p, err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now,
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.96.0.1")},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return p, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	writes := []struct {
		path string
		typ  string
		der  []byte
		key  *ecdsa.PrivateKey
	}{
		{p.caCert, "CERTIFICATE", caDER, nil},
		{p.caKey, "", nil, caKey},
		{p.servingCert, "CERTIFICATE", srvDER, nil},
		{p.servingKey, "", nil, srvKey},
		{p.saKey, "", nil, saKey},
	}
	for _, w := range writes {
		typ, der := w.typ, w.der
		if w.key != nil {
			// SEC1 ("EC PRIVATE KEY"): the one EC form that both the apiserver's
			// --service-account-key-file reader and rustls/rcgen accept.
			der, err = x509.MarshalECPrivateKey(w.key)
			if err != nil {
				return p, err
			}
			typ = "EC PRIVATE KEY"
		}
		if err := os.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			return p, err
		}
	}
	return p, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeTokens writes the static token file: the admin first, then the extra users.
func writeTokens(dir string, extra []string) ([]tokenUser, error) {
	users := []tokenUser{{Name: "admin", Token: randomToken(), Groups: []string{"system:masters"}}}
	for _, spec := range extra {
		name, groups, _ := strings.Cut(spec, ":")
		if name == "" || strings.ContainsAny(name, ",\"") {
			return nil, fmt.Errorf("bad --user %q", spec)
		}
		u := tokenUser{Name: name, Token: randomToken(), Groups: []string{}}
		if groups != "" {
			u.Groups = strings.Split(groups, ",")
		}
		users = append(users, u)
	}
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "%s,%s,%s,\"%s\"\n", u.Token, u.Name, u.Name, strings.Join(u.Groups, ","))
	}
	return users, os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(b.String()), 0o600)
}

func writeKubeconfig(path, apiURL, caFile string, admin tokenUser) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	var b strings.Builder
	w := bufio.NewWriter(&b)
	fmt.Fprintf(w, `apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: testenv
  context:
    cluster: testenv
    user: admin
    namespace: default
current-context: testenv
`, apiURL, base64.StdEncoding.EncodeToString(caPEM), admin.Token)
	if err := w.Flush(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
