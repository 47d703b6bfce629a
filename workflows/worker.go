package workflows

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
)

// Register registers the interpreter workflow on w.
func Register(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(Task, workflow.RegisterOptions{Name: TaskWorkflow})
}

// WorkerParams are the dependencies of a worker.
type WorkerParams struct {
	fx.In
	Lifecycle  fx.Lifecycle
	Config     *config.Config
	Client     client.Client
	Components *activities.Components
	Store      *store.Store
	Log        *slog.Logger
}

// NewWorker builds the worker of the default module: the interpreter
// workflow, every registered component and the task record activities, on
// the module's task queue. It starts and stops with the application.
func NewWorker(p WorkerParams) worker.Worker {
	w := worker.New(p.Client, p.Config.TemporalTaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     500,
		MaxConcurrentWorkflowTaskExecutionSize: 500,
		MaxConcurrentActivityTaskPollers:       8,
		MaxConcurrentWorkflowTaskPollers:       8,
		WorkerStopTimeout:                      5 * time.Second,
		// The SDK's 1 s default fails a workflow task whose code runs that
		// long without yielding. Replaying a task of thousands of nodes for
		// a query on a loaded machine can (seen under CI-like load with a
		// 5,000-node tree); blocking calls, which the detector is for, are
		// kept out of workflow code by workflowcheck in lint.
		DeadlockDetectionTimeout: 10 * time.Second,
	})
	Register(w)
	p.Components.Register(w)
	(&activities.TaskRecords{Store: p.Store, Now: time.Now}).Register(w)
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			p.Log.Info("worker starting", "namespace", p.Config.TemporalNamespace, "task_queue", p.Config.TemporalTaskQueue)
			return w.Start()
		},
		OnStop: func(context.Context) error { w.Stop(); return nil },
	})
	return w
}

// WorkerModule runs the default module's worker with the built-in
// components.
var WorkerModule = fx.Module("worker",
	activities.Module,
	activities.Builtins(),
	fx.Provide(NewWorker),
	fx.Invoke(func(worker.Worker) {}),
)
