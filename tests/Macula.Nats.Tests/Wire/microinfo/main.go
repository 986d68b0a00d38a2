// microinfo asks a NATS server's services for $SRV.PING and $SRV.INFO of one service name and decodes the replies
// into nats.go micro's own types (Debian's nats.go), as NATS tooling does; it prints one line per reply:
// "ping <name> <id> <version>" and "info <name> <id> <version> <description>".
// Usage: microinfo NATS_URL SERVICE_NAME
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

func main() {
	nc, err := nats.Connect(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer nc.Close()
	name := os.Args[2]
	for _, verb := range []string{"PING", "INFO"} {
		inbox := nats.NewInbox()
		sub, err := nc.SubscribeSync(inbox)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := nc.PublishRequest(fmt.Sprintf("%s.%s.%s", micro.APIPrefix, verb, name), inbox, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		deadline := time.Now().Add(time.Second)
		for {
			msg, err := sub.NextMsg(time.Until(deadline))
			if err != nil {
				break
			}
			if verb == "PING" {
				var ping micro.Ping
				if err := json.Unmarshal(msg.Data, &ping); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				fmt.Printf("ping %s %s %s\n", ping.Name, ping.ID, ping.Version)
			} else {
				var info micro.Info
				if err := json.Unmarshal(msg.Data, &info); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				fmt.Printf("info %s %s %s %s\n", info.Name, info.ID, info.Version, info.Description)
			}
		}
		sub.Unsubscribe()
	}
}
