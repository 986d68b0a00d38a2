// natsgo-bench: raw NATS request/reply with the Go NATS client (nats.go), the reference point for Macula's
// end-to-end benchmarks. By default it runs an echo responder and a requester against one nats-server and prints
// one JSON line. With -respond it is only the responder, with -drive only the requester, driven over standard
// input the way e2e drives its .NET peers (see README.md).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
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

// Bytes the requester's process allocated per call (runtime.MemStats.TotalAlloc): only with -drive, where the
// responder runs in another process.
type allocation struct {
	Sequential float64 `json:"sequential_bytes_per_call"`
	Concurrent float64 `json:"concurrent_bytes_per_call"`
}

type result struct {
	Peer        string      `json:"peer"`
	Client      string      `json:"client_version"`
	PayloadSize int         `json:"payload_bytes"`
	Sequential  sequential  `json:"sequential"`
	Concurrent  concurrent  `json:"concurrent"`
	Allocation  *allocation `json:"allocation,omitempty"`
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

func fail(what string, err error) {
	fmt.Fprintln(os.Stderr, what+":", err)
	os.Exit(1)
}

func payload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return p
}

func request(nc *nats.Conn, subject string, data []byte, timeout time.Duration) {
	if _, err := nc.Request(subject, data, timeout); err != nil {
		fail("request", err)
	}
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// measure runs the plan every system of e2e gets: warm-up, n sequential requests, then total requests by inflight
// workers that each send a new request when theirs is answered.
func measure(nc *nats.Conn, subject string, data []byte, warmup, n, total, inflight int, withAllocation bool) result {
	for i := 0; i < warmup; i++ {
		request(nc, subject, data, time.Second)
	}

	lat := make([]time.Duration, n)
	allocBefore := totalAlloc()
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		request(nc, subject, data, time.Second)
		lat[i] = time.Since(t0)
	}
	elapsed := time.Since(start)
	seqAlloc := totalAlloc() - allocBefore
	window := n / 10
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
	allocBefore = totalAlloc()
	start = time.Now()
	for w := 0; w < inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) < int64(total) {
				request(nc, subject, data, 5*time.Second)
			}
		}()
	}
	wg.Wait()
	cElapsed := time.Since(start)
	conAlloc := totalAlloc() - allocBefore

	out := result{
		Peer:        "nats.go request/reply",
		Client:      nats.Version,
		PayloadSize: len(data),
		Sequential: sequential{
			N: n, P50us: us(lat[n/2]), P99us: us(lat[n*99/100]),
			Meanus: us(elapsed) / float64(n), FirstP50us: firstP50, RestP50us: restP50,
		},
		Concurrent: concurrent{InFlight: inflight, Total: total, Rps: float64(total) / cElapsed.Seconds()},
	}
	if withAllocation {
		out.Allocation = &allocation{Sequential: float64(seqAlloc) / float64(n), Concurrent: float64(conAlloc) / float64(total)}
	}
	return out
}

func respond(url, subject string) *nats.Conn {
	nc, err := nats.Connect(url, nats.Name("natsgo-bench-responder"))
	if err != nil {
		fail("connect responder", err)
	}
	if _, err := nc.Subscribe(subject, func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
		fail("subscribe", err)
	}
	if err := nc.Flush(); err != nil {
		fail("flush", err)
	}
	return nc
}

func connectRequester(url string) *nats.Conn {
	nc, err := nats.Connect(url, nats.Name("natsgo-bench-requester"))
	if err != nil {
		fail("connect requester", err)
	}
	return nc
}

// drive answers the e2e tool's commands: "warm N" (N requests of each size, then OK) and
// "run KIND WARMUP SEQUENTIAL TOTAL INFLIGHT" (KIND add = 16 B, 1k = 1024 B; one JSON line).
func drive(nc *nats.Conn, subject string) {
	sizes := map[string][]byte{"add": payload(16), "1k": payload(1024)}
	fmt.Println("READY " + nats.Version)
	lines := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for lines.Scan() {
		words := strings.Fields(lines.Text())
		ints := func(from int) []int {
			out := make([]int, 0, len(words)-from)
			for _, w := range words[from:] {
				v, err := strconv.Atoi(w)
				if err != nil {
					fail("command "+lines.Text(), err)
				}
				out = append(out, v)
			}
			return out
		}
		switch {
		case len(words) == 2 && words[0] == "warm":
			n := ints(1)[0]
			for i := 0; i < n; i++ {
				request(nc, subject, sizes["add"], time.Second)
				request(nc, subject, sizes["1k"], time.Second)
			}
			fmt.Println("OK")
		case len(words) == 6 && words[0] == "run" && sizes[words[1]] != nil:
			v := ints(2)
			if err := enc.Encode(measure(nc, subject, sizes[words[1]], v[0], v[1], v[2], v[3], true)); err != nil {
				fail("write", err)
			}
		default:
			fail("command", fmt.Errorf("unknown command %q", lines.Text()))
		}
	}
}

func main() {
	url := flag.String("s", "nats://127.0.0.1:4222", "nats-server URL")
	subject := flag.String("subject", "peer.echo", "subject the responder listens on")
	n := flag.Int("n", 20000, "sequential requests (concurrency 1)")
	total := flag.Int("t", 200000, "requests in the concurrent phase")
	inflight := flag.Int("c", 64, "requests in flight in the concurrent phase")
	size := flag.Int("size", 16, "payload size in bytes")
	warmup := flag.Int("warmup", 2000, "warm-up requests")
	onlyRespond := flag.Bool("respond", false, "only the echo responder: prints READY <url>, serves until standard input closes")
	onlyDrive := flag.Bool("drive", false, "only the requester, driven by commands on standard input")
	flag.Parse()

	switch {
	case *onlyRespond:
		nc := respond(*url, *subject)
		defer nc.Close()
		fmt.Println("READY " + *url)
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			// Nothing is sent; the loop ends when the e2e tool closes the pipe or dies.
		}
	case *onlyDrive:
		nc := connectRequester(*url)
		defer nc.Close()
		drive(nc, *subject)
	default:
		responder := respond(*url, *subject)
		defer responder.Close()
		requester := connectRequester(*url)
		defer requester.Close()
		if err := json.NewEncoder(os.Stdout).Encode(measure(requester, *subject, payload(*size), *warmup, *n, *total, *inflight, false)); err != nil {
			os.Exit(1)
		}
	}
}
