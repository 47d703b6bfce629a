package temporaldev

import (
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// clusterName is the name of the single local cluster. It is stored in the DB
// (namespaces reference it), so it must never change.
const clusterName = "active"

// numHistoryShards is fixed at 1 for a dev server. Temporal stores the shard
// count in the DB on first start and always uses the stored value afterwards,
// so it cannot be changed for an existing file.
const numHistoryShards = 1

// servicePorts holds the gRPC port of every server service.
type servicePorts struct {
	frontend, history, matching, worker int
}

// byService maps each in-process service to its gRPC port.
func (p servicePorts) byService() map[primitives.ServiceName]int {
	return map[primitives.ServiceName]int{
		primitives.FrontendService: p.frontend,
		primitives.HistoryService:  p.history,
		primitives.MatchingService: p.matching,
		primitives.WorkerService:   p.worker,
	}
}

// buildConfig returns the static server config, built in Go (no YAML).
// Services bind to bindHost; everything that dials them uses dial.
func buildConfig(bindHost, dial string, ports servicePorts, store *config.SQL) *config.Config {
	frontend := hostPort(dial, ports.frontend)
	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: dial}
	cfg.Persistence = config.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite",
		NumHistoryShards: numHistoryShards,
		DataStores:       map[string]config.DataStore{"sqlite": {SQL: store}},
	}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             frontend,
		}},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = make(map[string]config.Service, 4)
	for svc, port := range ports.byService() {
		// No HTTPPort: the frontend's HTTP API stays off (the UI uses gRPC).
		// No MembershipPort: static hosts replace ringpop membership.
		cfg.Services[string(svc)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: bindHost}}
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontend
	return cfg
}

// serverOptions returns the temporal.NewServer options for cfg.
//
// Static hosts are essential: with ringpop membership the first calls after
// restarting on an existing file stall for 40-50 s on stale members.
func serverOptions(cfg *config.Config, dial string, ports servicePorts, logger log.Logger) []temporal.ServerOption {
	hosts := make(map[primitives.ServiceName]static.Hosts, 4)
	for svc, port := range ports.byService() {
		hosts[svc] = static.SingleLocalHost(hostPort(dial, port))
	}
	return []temporal.ServerOption{
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	}
}

// dynamicConfig returns the dev overrides; everything else (notably
// limit.blobSize and the history size/count limits) keeps Temporal's
// defaults on purpose, so bkflow is developed against production limits.
//
// Nothing here restricts custom search attributes: with SQLite visibility,
// OperatorService.AddSearchAttributes maps each new attribute onto a
// pre-allocated column of the namespace (3 Int, 10 Keyword, 3 Bool,
// 3 Double, 3 Datetime, 3 Text, 3 KeywordList per namespace).
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Host-level mutable state cache: the default (128k entries) is sized
		// for production hosts; a dev server needs far less memory.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
		// Visibility API rate limit per namespace (default 10 rps): the UI
		// plus bkflow's list endpoints easily exceed that on a dev box.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Each service polls namespace metadata (default every 2 s); the
		// frontend accepts a new custom search attribute only once its
		// copy has it. Polling the tiny namespaces table faster shortens
		// the window after AddSearchAttributes for next to no cost.
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): 500 * time.Millisecond,
		// One partition per task queue: with a handful of pollers on one
		// host, the default four partitions only add forwarding hops
		// between partitions that have no poller.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// Hand the next activity back to the worker that completes the
		// workflow task scheduling it, skipping a matching round trip.
		dynamicconfig.EnableActivityEagerExecution.Key(): true,
		// The history queues read their tasks at most 20 times a second per
		// shard. With one shard that rate-limits everything: each workflow
		// task of a sequential pipeline waited for the next read (about
		// 30 ms). bkflow's pipelines are sequential chains of activities.
		dynamicconfig.TransferProcessorMaxPollRPS.Key():   2000,
		dynamicconfig.TimerProcessorMaxPollRPS.Key():      2000,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): 2000,
		dynamicconfig.OutboundProcessorMaxPollRPS.Key():   2000,
		// 512 scheduler goroutines per queue are sized for many shards.
		dynamicconfig.TransferProcessorSchedulerWorkerCount.Key(): 64,
	}
}
