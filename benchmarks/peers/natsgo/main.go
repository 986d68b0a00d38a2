// natsgo-bench: raw NATS request/reply with the Go NATS client (nats.go),
// the reference point for Macula's end-to-end benchmarks. It runs an echo
// responder and a requester against one nats-server and prints one JSON line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

type sequential struct {
	N      int     `json:"n"`
	P50us  float64 `json:"p50_us"`
	P99us  float64 `json:"p99_us"`
	Meanus float64 `json:"mean_us"`
	// The p50 of the first measured window (the first tenth, at most 500 calls) and of the rest: the warm-up check.
	FirstP50us float64 `json:"first_window_p50_us"`
	RestP50us  float64 `json:"rest_p50_us"`
}

type concurrent struct {
	InFlight int     `json:"in_flight"`
	Total    int     `json:"total"`
	Rps      float64 `json:"rps"`
}

type result struct {
	Peer        string     `json:"peer"`
	Client      string     `json:"client_version"`
	PayloadSize int        `json:"payload_bytes"`
	Sequential  sequential `json:"sequential"`
	Concurrent  concurrent `json:"concurrent"`
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// p50 of a window of latencies (nearest rank, as for the whole run), sorting a copy.
func p50(window []time.Duration) float64 {
	if len(window) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), window...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	return us(sorted[len(sorted)/2])
}

func main() {
	url := flag.String("s", "nats://127.0.0.1:4222", "nats-server URL")
	subject := flag.String("subject", "peer.echo", "subject the responder listens on")
	n := flag.Int("n", 20000, "sequential requests (concurrency 1)")
	total := flag.Int("t", 200000, "requests in the concurrent phase")
	inflight := flag.Int("c", 64, "requests in flight in the concurrent phase")
	size := flag.Int("size", 16, "payload size in bytes")
	warmup := flag.Int("warmup", 2000, "warm-up requests")
	flag.Parse()

	responder, err := nats.Connect(*url, nats.Name("natsgo-bench-responder"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect responder:", err)
		os.Exit(1)
	}
	defer responder.Close()
	if _, err := responder.Subscribe(*subject, func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(1)
	}
	responder.Flush()

	requester, err := nats.Connect(*url, nats.Name("natsgo-bench-requester"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect requester:", err)
		os.Exit(1)
	}
	defer requester.Close()

	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	request := func(timeout time.Duration) {
		if _, err := requester.Request(*subject, payload, timeout); err != nil {
			fmt.Fprintln(os.Stderr, "request:", err)
			os.Exit(1)
		}
	}

	for i := 0; i < *warmup; i++ {
		request(time.Second)
	}

	lat := make([]time.Duration, *n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		request(time.Second)
		lat[i] = time.Since(t0)
	}
	elapsed := time.Since(start)
	window := *n / 10
	if window > 500 {
		window = 500
	}
	if window < 1 {
		window = 1
	}
	firstP50, restP50 := p50(lat[:window]), p50(lat[window:])
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })

	var next int64 = -1
	var wg sync.WaitGroup
	start = time.Now()
	for w := 0; w < *inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) < int64(*total) {
				request(5 * time.Second)
			}
		}()
	}
	wg.Wait()
	cElapsed := time.Since(start)

	out := result{
		Peer:        "nats.go request/reply",
		Client:      nats.Version,
		PayloadSize: *size,
		Sequential: sequential{
			N: *n, P50us: us(lat[*n/2]), P99us: us(lat[*n*99/100]),
			Meanus: us(elapsed) / float64(*n), FirstP50us: firstP50, RestP50us: restP50,
		},
		Concurrent: concurrent{InFlight: *inflight, Total: *total, Rps: float64(*total) / cElapsed.Seconds()},
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
}
