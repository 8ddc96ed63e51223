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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- newApp(strings.NewReader(""), io.Discard, io.Discard).RunContext(ctx, []string{"haechi", "api", "--addr", addr, "--data-dir", dir})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("haechi api did not stop")
		}
	}()
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
