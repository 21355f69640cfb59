import { StreamBuilder } from '../migration/bulk-nodes.ts';
import { byteOrder } from '../migration/codec/byte-order.ts';
import { HOST_ENDIAN, NO_TARGET } from '../migration/constants.ts';
import { END, idleConnection } from '../migration/records.ts';
import { emptyState } from '../migration/state.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { MessageType } from '../protocol/message-type.ts';
import { collector } from '../server/collector.ts';
import { valueFromBytes } from '../store/node.ts';
import { DEFAULT_PERMS } from '../store/perms.ts';
import { QUOTA_NAMES } from '../store/quota.ts';
import { Store } from '../store/store.ts';
import { restoreStream } from './restore.ts';
import { writeNodes } from './snapshot.ts';

/**
 * Code runs much faster once V8 has optimized it, and a successor reads its state exactly once. So
 * before it says it is ready (time that is not downtime), it reads a throwaway stream shaped like a
 * real one: the real read then starts with optimized code. It holds a few nodes, as the state on a
 * snapshot holds the few changed since: the snapshot the successor loads next (snapshot.ts) reads
 * nodes too, but with a reader of its own, and code that V8 optimized for that reader alone was
 * thrown back to the interpreter when the state's first node came (seen with --trace-deopt).
 * Reading 5,000 sample nodes took 40-65 ms of every update's 0.25-0.3 s start here, which is the
 * whole update's time, not downtime.
 */
/** Connections, each with a watch: a host has hundreds, and each is a record to decode. */
const SAMPLE_CONNECTIONS = 500;
/** Nodes of the sample, as many as a state on a snapshot usually carries. */
const SAMPLE_NODES = 16;
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
export function sampleStream(): Buffer {
	const endian = HOST_ENDIAN;
	const out = new StreamBuilder({ version: 2, endian });
	const quotas = QUOTA_NAMES.map((name) => ({ name, value: 1000 }));
	out.record({ type: 'GLOBAL_DATA', socketFd: 1000, evtchnFd: -1 });
	out.record({ type: 'GLOBAL_QUOTA_DATA', perDomain: quotas, globalOnly: [] });
	// Dom0's own ring comes first, as the capture writes it.
	out.record(idleConnection(1, { kind: 'ring', domid: 0, target: NO_TARGET, evtchn: 0 }));
	// Some connections carry a request half received, or output not yet taken (the requester's
	// reply to live-update is one).
	const halfRequest = encodeFrame(MessageType.READ, 1, 0, '/local/domain/0/name\0').subarray(0, 20);
	const reply = encodeFrame(MessageType.CONTROL, 1, 0, 'OK\0');
	for (let id = 2; id <= SAMPLE_CONNECTIONS; id++) {
		const idle = idleConnection(id, { kind: 'socket', fd: 1000 + id });
		if (id % 8 === 0) out.record({ ...idle, pendingIn: halfRequest });
		else if (id % 8 === 4) out.record({ ...idle, pendingOut: reply });
		else out.record(idle);
		// Most connections watch nothing; some watch a few paths.
		if (id % 4 === 0) {
			out.record({ type: 'WATCH_DATA', connId: id, path: `/local/domain/${id}`, token: `t${id}` });
		}
	}
	writeNodes(out, sampleStore(), byteOrder(endian));
	out.record({ type: 'DOMAIN_DATA', domid: 0, features: 0, quotas });
	out.record(END);
	return out.finish();
}

/** A store of SAMPLE_NODES nodes besides the root and the special ones. */
function sampleStore(): Store {
	const store = new Store({ bare: true });
	const restore = store.nodeRestorer();
	const value = valueFromBytes(Buffer.from('value'));
	restore('/warm-up', value, DEFAULT_PERMS);
	for (let i = 1; i < SAMPLE_NODES; i++) restore(`/warm-up/n${i}`, value, DEFAULT_PERMS);
	return store;
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
