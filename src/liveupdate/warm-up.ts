import { endianness } from 'node:os';
import { StreamBuilder } from '../migration/bulk-nodes.ts';
import { byteOrder } from '../migration/codec/byte-order.ts';
import { END, idleConnection } from '../migration/records.ts';
import { emptyState } from '../migration/state.ts';
import { collector } from '../server/collector.ts';
import { PRIVILEGED_CALLER } from '../store/perms.ts';
import { Store } from '../store/store.ts';
import { restoreStream } from './restore.ts';
import { writeNodes } from './snapshot.ts';

/**
 * Code runs much faster once V8 has optimized it, and a successor reads the store exactly once. So
 * before it says it is ready (time that is not downtime), it reads a throwaway stream shaped like a
 * real one: the real read then starts with optimized code. (The predecessor does not do the same
 * for writing: it still serves clients then, and the warm-up would stall them.)
 */
const SAMPLE_NODES = 20_000;
/** Connections, each with a watch: a host has hundreds, and each is a record to decode. */
const SAMPLE_CONNECTIONS = 500;
/**
 * A store has many nodes, so one pass makes V8 optimize the code that reads them; there are far
 * fewer connection and watch records, and one pass left their reading in slower code (a restore of
 * 1,000 connections took 5-8 ms after one pass, about 1 ms after five).
 */
const CONNECTION_PASSES = 8;

function sampleStream(withNodes: boolean): Buffer {
	const endian = endianness() === 'LE' ? 'little' : 'big';
	const out = new StreamBuilder({ version: 2, endian });
	for (let id = 1; id <= SAMPLE_CONNECTIONS; id++) {
		out.record(idleConnection(id, { kind: 'socket', fd: 1000 + id }));
		out.record({ type: 'WATCH_DATA', connId: id, path: `/local/domain/${id}`, token: `t${id}` });
	}
	if (withNodes) {
		const store = new Store();
		for (let i = 0; i < SAMPLE_NODES; i++) {
			store.write(PRIVILEGED_CALLER, undefined, `/local/domain/${i % 50}/device/vif/${i}`, 'value');
		}
		writeNodes(out, store, byteOrder(endian));
	}
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
