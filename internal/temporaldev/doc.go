// Package temporaldev embeds a real Temporal server (frontend, history,
// matching and worker services) and, optionally, the Temporal Web UI in the
// current process, persisted in one SQLite file. It backs `bkflow dev` and
// the integration tests.
//
// It is the only bkflow package that imports go.temporal.io/server and
// github.com/temporalio/ui-server: importing it adds about 200 MB to a
// binary, so keep it out of production code paths and out of unit-test
// packages that do not need a server.
//
// Persistence notes:
//   - The DB file is created with one history shard; Temporal stores the
//     shard count and ignores later changes for an existing file.
//   - WAL journaling makes the file survive SIGKILL; the next Start recovers.
//   - Only one Server may use a given file at a time.
//   - The SQLite plugin keeps its connections open for the life of the
//     process (it never closes them), also after Stop. In-memory servers
//     therefore keep their memory until the process exits.
//
// Custom search attributes: SQLite visibility has pre-allocated columns per
// namespace (3 Int, 10 Keyword, 3 Bool, 3 Double, 3 Datetime, 3 Text,
// 3 KeywordList). OperatorService.AddSearchAttributes maps attributes onto
// them. The frontend accepts the new names only after its namespace cache
// refreshes (every 500 ms here): until then starts using them and queries
// naming them fail with InvalidArgument. To wait, poll a ListWorkflow query
// that names every new attribute until it succeeds.
package temporaldev
