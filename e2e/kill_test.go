package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// buildGatehouse builds the gatehouse binary once per test run.
var buildGatehouse = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gatehouse")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/gatehouse").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a `gatehouse serve` child process.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *testenv.Logs
}

// startProcess runs `gatehouse serve` on addr with dataDir and database
// and waits until it is ready.
func startProcess(t *testing.T, addr, dataDir, database string) *process {
	t.Helper()
	bin, err := buildGatehouse()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--addr", addr, "--data-dir", dataDir}
	if database != "" {
		args = append(args, "--database", database)
	}
	p := &process{cmd: exec.Command(bin, args...), url: "http://" + addr, logs: &testenv.Logs{}}
	p.cmd.Env = append(os.Environ(), "GATEHOUSE_ADMIN_PASSWORD=operator-password-for-tests")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	eventually(t, 60*time.Second, func() error {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestKill9LosesNoAcknowledgedWrite kills the server with SIGKILL while
// admin writes are in flight, restarts it on the same data, and checks that
// every write the server acknowledged (201) is there and works.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	for _, tc := range []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresSchema(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			database := tc.database(t)
			dataDir, addr := t.TempDir(), freeAddr(t)
			p := startProcess(t, addr, dataDir, database)
			key, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
			if err != nil {
				t.Fatal(err)
			}
			admin := adminclient.New(p.url, strings.TrimSpace(string(key)), &http.Client{Timeout: 10 * time.Second})

			var mu sync.Mutex
			acked := map[string]string{} // client id → secret
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						c, err := admin.CreateClient(context.Background(), wire.CreateClientRequest{
							Environment: "sandbox", Name: fmt.Sprintf("kill-%d-%d", w, i), Scopes: []string{"ledger:read"}})
						if err != nil {
							continue // refused or cut off by the kill: not acknowledged
						}
						mu.Lock()
						acked[c.ClientID] = c.ClientSecret
						mu.Unlock()
					}
				}()
			}
			eventually(t, 60*time.Second, func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(acked) < 40 {
					return fmt.Errorf("%d writes acknowledged", len(acked))
				}
				return nil
			})
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil { // writes still in flight
				t.Fatal(err)
			}
			p.cmd.Wait()
			close(stop)
			wg.Wait()

			again := startProcess(t, addr, dataDir, database)
			admin = adminclient.New(again.url, strings.TrimSpace(string(key)), nil)
			t.Logf("%d writes acknowledged before the kill", len(acked))
			for id, secret := range acked {
				if _, err := admin.Client(context.Background(), id); err != nil {
					t.Fatalf("client %s was acknowledged before kill -9 and is gone after the restart: %v", id, err)
				}
				resp, err := http.PostForm(again.url+"/realms/sandbox/protocol/openid-connect/token",
					url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("client %s, acknowledged before kill -9, gets %d at the token endpoint", id, resp.StatusCode)
				}
			}
			again.cmd.Process.Signal(syscall.SIGTERM)
			again.cmd.Wait()
		})
	}
}
