import { StreamBuilder } from '../migration/bulk-nodes.ts';
import { HOST_ENDIAN } from '../migration/constants.ts';
import { END, idleConnection } from '../migration/records.ts';
import { emptyState } from '../migration/state.ts';
import { collector } from '../server/collector.ts';
import { QUOTA_NAMES } from '../store/quota.ts';
import { Store } from '../store/store.ts';
import { restoreStream } from './restore.ts';

/**
 * Code runs much faster once V8 has optimized it, and a successor reads its state exactly once. So
 * before it says it is ready (time that is not downtime), it reads a throwaway stream shaped like a
 * real one: the real read then starts with optimized code. The stream holds no nodes: the snapshot
 * the successor loads next (snapshot.ts) runs the code that reads them, over as many nodes as the
 * store has, and the state read afterwards holds only the few changed since, or (rarely) every node
 * again. Reading 5,000 sample nodes took 40-65 ms of every update's 0.25-0.3 s start here, which
 * is the whole update's time, not downtime.
 */
/** Connections, each with a watch: a host has hundreds, and each is a record to decode. */
const SAMPLE_CONNECTIONS = 500;
/**
 * Passes over the sample: after one, the reading of connection and watch records was still in
 * slower code (a restore of 1,000 connections took 5-8 ms after one pass, about 1 ms after five).
 */
const PASSES = 8;

/**
 * Records of every kind a live update's state holds but nodes, in its order, so that V8 optimizes
 * the reading code for all of them: one kind it has not seen yet, met in the middle of the real
 * read, throws the reading code back to the interpreter for the rest of the stream.
 */
function sampleStream(): Buffer {
	const endian = HOST_ENDIAN;
	const out = new StreamBuilder({ version: 2, endian });
	const quotas = QUOTA_NAMES.map((name) => ({ name, value: 1000 }));
	out.record({ type: 'GLOBAL_DATA', socketFd: 1000, evtchnFd: -1 });
	out.record({ type: 'GLOBAL_QUOTA_DATA', perDomain: quotas, globalOnly: [] });
	for (let id = 1; id <= SAMPLE_CONNECTIONS; id++) {
		out.record(idleConnection(id, { kind: 'socket', fd: 1000 + id }));
		// Most connections watch nothing; some watch a few paths.
		if (id % 4 === 0) {
			out.record({ type: 'WATCH_DATA', connId: id, path: `/local/domain/${id}`, token: `t${id}` });
		}
	}
	out.record({ type: 'DOMAIN_DATA', domid: 0, features: 0, quotas });
	out.record(END);
	return out.finish();
}

/**
 * Successor: read a throwaway stream several times, as restore will read the real one; load
 * Node's cluster module, which a server's first `listen` loads (a few milliseconds), so that taking
 * over the listening socket does not; and get V8's collector (collector.ts), which takes as long.
 */
export function warmUpRestore(): void {
	const sample = sampleStream();
	for (let pass = 0; pass < PASSES; pass++) {
		restoreStream(new Store({ bare: true }), sample, emptyState());
	}
	process.getBuiltinModule('node:cluster');
	collector();
}
