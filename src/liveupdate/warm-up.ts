import { encodePerms, StreamBuilder } from '../migration/bulk-nodes.ts';
import { byteOrder } from '../migration/codec/byte-order.ts';
import { type Endian, HOST_ENDIAN } from '../migration/constants.ts';
import { END, idleConnection } from '../migration/records.ts';
import { emptyState } from '../migration/state.ts';
import { collector } from '../server/collector.ts';
import { QUOTA_NAMES } from '../store/quota.ts';
import { Store } from '../store/store.ts';
import { restoreStream } from './restore.ts';

/**
 * Code runs much faster once V8 has optimized it, and a successor reads the store exactly once. So
 * before it says it is ready (time that is not downtime), it reads a throwaway stream shaped like a
 * real one: the real read then starts with optimized code. (The predecessor does not do the same
 * for writing: it still serves clients then, and the warm-up would stall them.) Its time counts in
 * the whole update: 5,000 nodes read 200,000 as fast afterwards as 20,000 did (about 0.3 s either
 * way), and take half as long.
 */
const SAMPLE_NODES = 5_000;
/** Connections, each with a watch: a host has hundreds, and each is a record to decode. */
const SAMPLE_CONNECTIONS = 500;
/**
 * A store has many nodes, so one pass makes V8 optimize the code that reads them; there are far
 * fewer connection and watch records, and one pass left their reading in slower code (a restore of
 * 1,000 connections took 5-8 ms after one pass, about 1 ms after five).
 */
const CONNECTION_PASSES = 8;

/**
 * The sample's nodes, written straight into the stream parent first as a real one lists them:
 * building a Store to write them from would warm up code a successor never runs, and took most
 * of the warm-up's time.
 */
function sampleNodes(out: StreamBuilder, endian: Endian): void {
	const perms = encodePerms([{ access: 'n', domid: 0, stale: false }], byteOrder(endian));
	const perDomain = SAMPLE_NODES / 50;
	out.node('/', '', perms);
	out.node('/local', '', perms);
	out.node('/local/domain', '', perms);
	for (let d = 0; d < 50; d++) {
		const vif = `/local/domain/${d}/device/vif`;
		out.node(`/local/domain/${d}`, '', perms);
		out.node(`/local/domain/${d}/device`, '', perms);
		out.node(vif, '', perms);
		for (let i = 0; i < perDomain; i++) out.node(`${vif}/${i}`, 'value', perms);
	}
}

/**
 * Records of every kind a live update's state holds, in its order, so that V8 optimizes the
 * reading code for all of them: one kind it has not seen yet, met in the middle of the real read,
 * throws the reading code back to the interpreter for the rest of the stream.
 */
function sampleStream(withNodes: boolean): Buffer {
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
	if (withNodes) sampleNodes(out, endian);
	out.record({ type: 'DOMAIN_DATA', domid: 0, features: 0, quotas });
	out.record(END);
	return out.finish();
}

/**
 * Successor: read a throwaway stream, as restore will read the real one, its connections several
 * times; load Node's cluster module, which a server's first `listen` loads (a few milliseconds),
 * so that taking over the listening socket does not; and get V8's collector (collector.ts), which
 * takes as long.
 */
export function warmUpRestore(): void {
	restoreStream(new Store({ bare: true }), sampleStream(true), emptyState());
	const connections = sampleStream(false);
	for (let pass = 1; pass < CONNECTION_PASSES; pass++) {
		restoreStream(new Store({ bare: true }), connections, emptyState());
	}
	process.getBuiltinModule('node:cluster');
	collector();
}
