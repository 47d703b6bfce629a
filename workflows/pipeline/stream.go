package pipeline

import "fmt"

// Stream validation: a port of bamboo-engine's validate_stream. The start
// event's stream is "main"; each branch i of a parallel (or conditional
// parallel) gateway g is stream "g_i"; streams flow along the edges and a
// parallel block's branches merge back into the block's stream at its
// converge gateway. A node reached by two streams has an edge jumping
// between parallel branches, or out of a parallel block other than through
// its converge; a node reached by none cannot be reached from the start.

const mainStream = "main"

type streamError struct {
	node, msg string
}

type streamChecker struct {
	g        *graph
	converge map[string]string
	streams  map[string]map[string]bool
	// parallelConverges maps the converge gateway of each parallel gateway
	// to the streams of that gateway's branches.
	parallelConverges map[string]map[string]bool
}

// checkStreams validates the streams of a gateway-matched graph.
func checkStreams(g *graph, converge map[string]string, ps *problems) bool {
	c, err := computeStreams(g, converge)
	if err != nil {
		ps.add(Problem{Code: CodeStream, Path: g.path(err.node), NodeIDs: []string{err.node}, Message: err.msg})
		return false
	}
	ok := true
	for _, id := range g.nodes {
		if len(c.streams[id]) == 0 {
			ps.add(Problem{Code: CodeIsolatedNode, Path: g.path(id), NodeIDs: []string{id},
				Message: "the node cannot be reached from the start event (StreamValidateError)"})
			ok = false
		}
	}
	return ok
}

// computeStreams labels the streams of every node.
func computeStreams(g *graph, converge map[string]string) (*streamChecker, *streamError) {
	c := &streamChecker{g: g, converge: converge, streams: map[string]map[string]bool{}, parallelConverges: map[string]map[string]bool{}}
	for _, id := range g.nodes {
		c.streams[id] = map[string]bool{}
		if isParallel(g.kind[id]) {
			branches := map[string]bool{}
			for i := range g.outgoing[id] {
				branches[fmt.Sprintf("%s_%d", id, i)] = true
			}
			c.parallelConverges[converge[id]] = branches
		}
	}
	c.streams[g.start][mainStream] = true
	c.streams[g.end][mainStream] = true

	if err := c.run(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *streamChecker) run() *streamError {
	queue := []string{c.g.start}
	visited := map[string]bool{}
	for len(queue) > 0 {
		node := queue[0]
		queue = queue[1:]
		if !visited[node] {
			queue = append(queue, c.g.targets(node)...)
			visited[node] = true
		}
		// Flow again on later visits: it validates, the targets are queued once.
		if err := c.flowing(node); err != nil {
			return err
		}
	}
	return nil
}

func streamConflict(node string) *streamError {
	return &streamError{node: node, msg: "StreamValidateError: the node is reached from more than one parallel branch (an edge jumps between the branches of a parallel gateway, or leaves a parallel block other than through its converge gateway)"}
}

// blend adds the source's streams, or the given stream, to the target's.
func (c *streamChecker) blend(source, target, stream string) *streamError {
	if stream != "" {
		c.streams[target][stream] = true
		return nil
	}
	if len(c.streams[source]) == 0 {
		return &streamError{node: source, msg: fmt.Sprintf("stream validation error, node(%s) stream is empty", source)}
	}
	for s := range c.streams[source] {
		c.streams[target][s] = true
	}
	return nil
}

// flowing marks the streams of a node's targets.
func (c *streamChecker) flowing(where string) *streamError {
	parallel := isParallel(c.g.kind[where])
	if parallel {
		pc := c.converge[where]
		if err := c.blend(where, pc, ""); err != nil {
			return err
		}
		if len(c.streams[pc]) > 1 {
			return streamConflict(pc)
		}
	}
	for i, target := range c.g.targets(where) {
		stream := ""
		if parallel {
			stream = fmt.Sprintf("%s_%d", where, i)
		}
		fake := false
		if branches, ok := c.parallelConverges[target]; ok {
			validBranch := true
			for s := range c.streams[where] {
				if !branches[s] {
					validBranch = false
					break
				}
			}
			// a branch reaching its own converge does not flow into it
			fake = validBranch || c.converge[where] == target
		}
		if !fake {
			if err := c.blend(where, target, stream); err != nil {
				return err
			}
		}
		if len(c.streams[target]) != 1 {
			return streamConflict(target)
		}
	}
	return nil
}
