// Package deploy holds the deployment files that sit next to the binary:
// deploy/Caddyfile, the reverse proxy of the scaled-out compose.yaml. Its test
// checks, without a Docker engine, what the scale-out story relies on.
package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fieldops/fieldops/internal/platform/config"
)

type composeFile struct {
	Services map[string]struct {
		Build       any               `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   any               `yaml:"depends_on"`
	} `yaml:"services"`
}

// compose.yaml runs two FieldOps replicas (API and workers) on one
// PostgreSQL and one S3 store behind the proxy, which alone is published;
// every replica's environment is a valid FieldOps configuration with the
// same database, JWT secret and blob store; the Caddyfile routes to every
// replica, keeps tus uploads sticky and does not buffer the event stream.
// (`docker-compose config` and `caddy validate` check the syntax where
// those tools are installed: docs/ARCHITECTURE.md, Scaling out.)
func TestComposeRunsTwoReplicasBehindTheProxy(t *testing.T) {
	raw, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	var replicas []string
	for name, s := range c.Services {
		if s.Build != nil && len(s.Command) > 0 && s.Command[0] == "serve" {
			replicas = append(replicas, name)
		}
	}
	slices.Sort(replicas)
	if len(replicas) != 2 {
		t.Fatalf("FieldOps replicas %v, want 2", replicas)
	}
	first := c.Services[replicas[0]].Environment
	for _, name := range replicas {
		s := c.Services[name]
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes %v: only the proxy is reached from outside", name, s.Ports)
		}
		for _, k := range []string{"DATABASE_URL", "FIELDOPS_JWT_SECRET", "FIELDOPS_STORAGE", "FIELDOPS_S3_ENDPOINT", "FIELDOPS_S3_BUCKET"} {
			if s.Environment[k] == "" || s.Environment[k] != first[k] {
				t.Errorf("%s: %s = %q, want one shared value", name, k, s.Environment[k])
			}
		}
		if s.Environment["FIELDOPS_STORAGE"] != "s3" || s.Environment["FIELDOPS_JOBS_WORKERS"] == "false" ||
			slices.Contains(s.Command, "--no-workers") || s.Environment["FIELDOPS_HTTP_TRUSTED_PROXIES"] == "" {
			t.Errorf("%s: want S3 blobs, workers on and the proxy trusted: %v %v", name, s.Command, s.Environment)
		}
		var env []string
		for k, v := range s.Environment {
			env = append(env, k+"="+v)
		}
		cfg, err := config.Load(env)
		if err != nil {
			t.Errorf("%s: its environment is not a valid configuration: %v", name, err)
		} else if err := cfg.RequireSecret(); err != nil || cfg.GeneratedSecret {
			t.Errorf("%s: needs a JWT secret of its own, shared by the replicas: %v", name, err)
		}
	}
	for _, dep := range []string{"postgres", "s3"} {
		if _, ok := c.Services[dep]; !ok {
			t.Errorf("no %s service", dep)
		}
	}
	proxy, ok := c.Services["proxy"]
	if !ok || !slices.Contains(proxy.Ports, "8080:8080") || !slices.ContainsFunc(proxy.Volumes, func(v string) bool {
		return strings.HasPrefix(v, "./deploy/Caddyfile:")
	}) {
		t.Fatalf("proxy: want 8080 published and deploy/Caddyfile mounted: %+v", proxy)
	}

	caddy, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile(`(?m)^\s*reverse_proxy ([^{\n]*)\{([^}]*)\}`).FindAllStringSubmatch(string(caddy), -1)
	if len(blocks) == 0 {
		t.Fatal("Caddyfile: no reverse_proxy")
	}
	policy := map[string]string{}
	for _, b := range blocks {
		for _, r := range replicas {
			if !strings.Contains(b[1], r+":8080") {
				t.Errorf("Caddyfile: reverse_proxy %q does not name replica %s", b[1], r)
			}
		}
		if !strings.Contains(b[2], "health_uri /readyz") {
			t.Errorf("Caddyfile: reverse_proxy %q has no /readyz health check", b[1])
		}
		matcher := strings.Fields(b[1])[0]
		policy[matcher] = b[2]
	}
	if !strings.Contains(policy["@uploads"], "lb_policy cookie") || !strings.Contains(string(caddy), "@uploads path /v1/uploads /v1/uploads/*") {
		t.Error("Caddyfile: tus uploads (/v1/uploads, /v1/uploads/*) must be sticky (lb_policy cookie)")
	}
	if !strings.Contains(policy["@stream"], "flush_interval -1") || !strings.Contains(string(caddy), "@stream path /v1/notifications/stream") {
		t.Error("Caddyfile: /v1/notifications/stream must be flushed at once (flush_interval -1)")
	}
}
