import { endianness } from 'node:os';
import { StreamBuilder } from '../migration/bulk-nodes.ts';
import { byteOrder } from '../migration/codec/byte-order.ts';
import { END } from '../migration/records.ts';
import { emptyState } from '../migration/state.ts';
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

function sampleStream(): Buffer {
	const store = new Store();
	for (let i = 0; i < SAMPLE_NODES; i++) {
		store.write(PRIVILEGED_CALLER, undefined, `/local/domain/${i % 50}/device/vif/${i}`, 'value');
	}
	const out = new StreamBuilder({ version: 2, endian: endianness() === 'LE' ? 'little' : 'big' });
	writeNodes(out, store, byteOrder(endianness() === 'LE' ? 'little' : 'big'));
	out.record(END);
	return out.finish();
}

/** Successor: read a throwaway stream, as restore will read the real one. */
export function warmUpRestore(): void {
	restoreStream(new Store({ bare: true }), sampleStream(), emptyState());
}
