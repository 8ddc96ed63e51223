package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPICommandWithKeys creates a key with haechi apikeys, runs haechi
// api, and files a report with and without it.
func TestAPICommandWithKeys(t *testing.T) {
	dir := t.TempDir()
	secret, _, err := run(t, "", "apikeys", "create", "--data-dir", dir, "--name", "world-platform", "--scope", "report:write", "--scope", "report:read")
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSpace(secret)
	list, _, err := run(t, "", "apikeys", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(list, "world-platform") || strings.Contains(list, secret) {
		t.Fatalf("apikeys list: %q, %v (the secret must never be listed)", list, err)
	}
	addr := startServing(t, "api", "--data-dir", dir)
	post := func(key string) int {
		body := `{"reporter_id":"citizen-9","target":{"kind":"user","id":"user-13"},"category":"harassment","details":"follows me around the plaza"}`
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/reports", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != 401 {
		t.Errorf("report without a key: %d, want 401", code)
	}
	if code := post(secret); code != 201 {
		t.Errorf("report with a report:write key: %d, want 201", code)
	}
	resp, err := http.Get("http://" + addr + "/v1/openapi.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi: %v %v", resp, err)
	}
	resp.Body.Close()
	// Revoked keys are refused at once.
	keyID := strings.Split(secret, "_")[1]
	if _, _, err := run(t, "", "apikeys", "revoke", "--data-dir", dir, keyID); err != nil {
		t.Fatal(err)
	}
	if code := post(secret); code != 401 {
		t.Errorf("report with a revoked key: %d, want 401", code)
	}
}

// startServing runs haechi serve or haechi api in-process on a free
// loopback port until the test ends, and returns the address once it
// answers /readyz.
func startServing(t *testing.T, command string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		app := newApp(strings.NewReader(""), io.Discard, io.Discard)
		done <- app.RunContext(ctx, append([]string{"haechi", command, "--addr", addr}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("haechi %s returned %v on shutdown", command, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("haechi %s did not stop", command)
		}
	})
	// Start-up loads the models, the policy bundle (with its proofs) and
	// the OCR engines: a few seconds, many more under -race on a busy
	// machine.
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("haechi %s did not answer: %v", command, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
