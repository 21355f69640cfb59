import { writeFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { encodePerms, StreamBuilder } from '../migration/bulk-nodes.ts';
import { type ByteOrder, byteOrder } from '../migration/codec/byte-order.ts';
import { type Endian, PERM_LETTERS } from '../migration/constants.ts';
import { END, type NodePerm } from '../migration/records.ts';
import type { Node } from '../store/node.ts';
import type { Perms } from '../store/perms.ts';
import type { Store } from '../store/store.ts';
import { PreOrderWalk, walkChangedPreOrder } from '../store/tree.ts';

/**
 * Handing the store over ahead of time. Restoring hundreds of thousands of nodes takes the
 * successor hundreds of milliseconds, and writing them takes this process as long again: as
 * downtime, that grows with the store. So, while clients are still served, this process writes a
 * snapshot of every committed node and the successor loads it; once requests are held, the state
 * carries only the nodes that changed since the snapshot began, each with its whole child list, so
 * that the successor can drop what was removed meanwhile and keep each list's order.
 *
 * Why generations suffice: every change of a node's value, perms or child list gives it a
 * generation above every earlier one, and a node created later starts above them too. A node the
 * snapshot walk wrote before it changed, or a subtree it wrote after it was removed, is put right
 * by the nodes that changed around it. What generations do not show is a domain going away, which
 * makes perm entries stale without touching the nodes: then the whole state is written after all.
 */
export interface Snapshot {
	file: string;
	/** Generation when the walk began: nodes above it changed since. */
	since: number;
}

/** Nodes written per event-loop turn: about a millisecond's work, between clients' requests. */
const SLICE_NODES = 2048;
/**
 * Nodes in the first slice; each next one twice as many, up to SLICE_NODES. The first slices run
 * code V8 has not compiled yet, several times slower than it later runs.
 */
const FIRST_SLICE_NODES = 128;

/** A node's perms as migration records carry them, with each entry's stale flag as of now. */
export function recordPerms(store: Store, perms: Perms): NodePerm[] {
	return perms.map((e) => ({ access: PERM_LETTERS[e.access]!, domid: e.domid, stale: store.isStale(e) }));
}

class PermsEncoder {
	private readonly wire = new Map<Perms, Buffer>();
	private readonly store: Store;
	private readonly order: ByteOrder;

	constructor(store: Store, order: ByteOrder) {
		this.store = store;
		this.order = order;
	}

	/** Perm lists are shared between nodes: each distinct one is encoded once. */
	encode(perms: Perms): Buffer {
		let wire = this.wire.get(perms);
		if (wire === undefined) {
			wire = encodePerms(recordPerms(this.store, perms), this.order);
			this.wire.set(perms, wire);
		}
		return wire;
	}
}

/**
 * Write every committed node to `file` as a migration stream, a slice at a time with clients served
 * between slices. The tree may change meanwhile; see above for why that is fine.
 */
export async function writeSnapshot(
	store: Store,
	file: string,
	endian: Endian,
	sliceNodes = SLICE_NODES,
): Promise<Snapshot> {
	const since = store.tree.generation;
	const out = new StreamBuilder({ version: 2, endian }, 64 * store.tree.nodeCount + (1 << 16));
	const perms = new PermsEncoder(store, byteOrder(endian));
	const write = (path: string, n: Node) => out.node(path, n.value, perms.encode(n.perms));
	for (const [path, n] of store.tree.special) write(path, n);
	const walk = new PreOrderWalk('/', store.tree.root, write);
	for (
		let slice = Math.min(FIRST_SLICE_NODES, sliceNodes);
		walk.step(slice);
		slice = Math.min(slice * 2, sliceNodes)
	) {
		await nextTurn();
	}
	out.record(END);
	await writeFile(file, out.finish(), { mode: 0o600 });
	return { file, since };
}

/**
 * Committed nodes into `out`, special nodes first, then the tree parents first: all of them, or
 * with `since` only those that changed after it (special nodes always), each with its child list
 * into `childLists`. Returns how many nodes were written.
 */
export function writeNodes(
	out: StreamBuilder,
	store: Store,
	order: ByteOrder,
	since = -1,
	childLists?: Array<[string, string[]]>,
): number {
	const perms = new PermsEncoder(store, order);
	let count = 0;
	for (const [path, n] of store.tree.special) {
		out.node(path, n.value, perms.encode(n.perms));
		count++;
	}
	walkChangedPreOrder('/', store.tree.root, since, (path, node) => {
		out.node(path, node.value, perms.encode(node.perms));
		childLists?.push([path, node.children === undefined ? [] : [...node.children.keys()]]);
		count++;
	});
	return count;
}
