import { readFileSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { decodePerms, scanStream } from '../migration/bulk-nodes.ts';
import { type ByteOrder, byteOrder } from '../migration/codec/byte-order.ts';
import { NO_TARGET, NodeAccess, PERM_LETTERS } from '../migration/constants.ts';
import type { SourceFormat } from '../migration/reader.ts';
import type { NodeDataRecord, NodePerm } from '../migration/records.ts';
import { addRecord, emptyState, type MigrationState } from '../migration/state.ts';
import { looksLikeTextDump, readTextDumpItems } from '../migration/text-dump.ts';
import { addWatch } from '../ops/watch.ts';
import { Connection } from '../server/connection.ts';
import type { Daemon } from '../server/daemon.ts';
import { valueFromBytes } from '../store/node.ts';
import { canonicalWatchPath } from '../store/path.ts';
import type { PermEntry, Perms } from '../store/perms.ts';
import { quotaName } from '../store/quota.ts';
import type { RestoredTxNode, Store } from '../store/store.ts';
import { extrasPath, readExtras } from './extras.ts';
import type { SentHandle } from './ipc.ts';

export interface RestoreHow {
	/** The handle or connection a descriptor number in the state stands for; by default itself. */
	resolve?: (fd: number) => number | SentHandle | Connection;
	/** The snapshot this process loaded before the handover, which the state may build on. */
	loaded?: string;
	/**
	 * Runs once all state is back, before any client is answered: what must be true by the time a
	 * client can see the update done (a held request answered) goes here.
	 */
	beforeRelease?: () => void;
}

/** What a restore did that an operator should know (rings that cannot be attached here, ...). */
export interface RestoreReport {
	connections: number;
	nodes: number;
	watches: number;
	transactions: number;
	notes: string[];
}

/**
 * Perms as the store holds them, shared: a store has few distinct perm lists, and nodes that had
 * equal ones before the update share one array after it, as children share their parent's. Keyed
 * by their bytes on the wire (a single entry, the common case, by its 32 bits).
 */
function permsInterner(order: ByteOrder): (wire: Buffer, start: number, count: number) => Perms {
	const single = new Map<number, Perms>();
	const several = new Map<string, Perms>();
	return (wire, start, count) => {
		if (count === 1) {
			const key = wire.readUInt32LE(start);
			let shared = single.get(key);
			if (shared === undefined) {
				shared = toPerms(decodePerms(wire, start, 1, order));
				single.set(key, shared);
			}
			return shared;
		}
		const key = wire.toString('latin1', start, start + 4 * count);
		let shared = several.get(key);
		if (shared === undefined) {
			shared = toPerms(decodePerms(wire, start, count, order));
			several.set(key, shared);
		}
		return shared;
	};
}

function toPerms(perms: readonly NodePerm[]): Perms {
	return Object.freeze(
		perms.map(
			(p): PermEntry =>
				Object.freeze({ domid: p.domid, access: PERM_LETTERS.indexOf(p.access), stale: p.stale, since: 0 }),
		),
	);
}

/** A snapshot's nodes into the store, before requests are held (snapshot.ts). */
export function loadSnapshot(store: Store, file: string): void {
	const state = emptyState();
	restoreStream(store, readFileSync(file), state);
	rmSync(file, { force: true });
	const others = state.connections.length + state.watches.length + state.transactions.length;
	if (others > 0) throw new Error(`snapshot ${file} holds more than nodes`);
}

/** A binary stream's committed nodes into the store, everything else into `state`. */
export function restoreStream(store: Store, bytes: Buffer, state: MigrationState): void {
	const restore = store.nodeRestorer();
	let intern: (wire: Buffer, start: number, count: number) => Perms = () => [];
	scanStream(bytes, {
		header: (header) => {
			intern = permsInterner(byteOrder(header.endian));
		},
		node: (path, value, wire, start, count) => restore(path, value, intern(wire, start, count)),
		record: (record) => addRecord(state, record),
	});
}

/**
 * Read a state file into the store and a state of everything else. A binary stream is read at once
 * and its committed nodes go straight into the store (a successor's first moments are its
 * clients' downtime); oxenstored's text dump goes through its reader.
 */
async function readInto(
	store: Store,
	file: string,
): Promise<{ state: MigrationState; format: SourceFormat }> {
	const bytes = readFileSync(file);
	const state = emptyState();
	if (!looksLikeTextDump(bytes)) {
		restoreStream(store, bytes, state);
		return { state, format: 'stream' };
	}
	const restore = store.nodeRestorer();
	for await (const item of readTextDumpItems([bytes])) {
		if (item.kind !== 'record') continue;
		const r = item.record;
		if (r.type === 'NODE_DATA' && r.connId === 0) restore(r.path, valueFromBytes(r.value), toPerms(r.perms));
		else addRecord(state, r);
	}
	return { state, format: 'oxenstored-dump' };
}

/**
 * Become the daemon a predecessor was: its nodes, quotas and domains, its listening socket and
 * every connection (with the input it had not processed and the output it had not sent, which go
 * first), their watches and open transactions. Descriptors named in the state are this process's
 * own: the predecessor passed them at those numbers. Removing the state file tells the predecessor
 * that this process now serves.
 */
export async function restoreDaemon(
	daemon: Daemon,
	file: string,
	how: RestoreHow = {},
): Promise<RestoreReport> {
	const { resolve = (fd: number) => fd, loaded, beforeRelease } = how;
	const { store } = daemon;
	const extras = readExtras(file);
	const notes: string[] = [];
	if (extras.delta !== undefined && extras.delta.snapshot !== loaded) {
		throw new Error(`the state is on snapshot ${extras.delta.snapshot}, which this process has not loaded`);
	}
	const { state, format } = await readInto(store, file);
	if (extras.delta !== undefined) {
		for (const [path, names] of extras.delta.childLists) store.restoreChildList(path, names);
	}

	for (const q of state.globalQuota?.perDomain ?? []) {
		const name = quotaName(q.name);
		if (name !== undefined) store.quotas[name] = q.value;
		else notes.push(`unknown quota "${q.name}" ignored`);
	}
	for (const d of state.domains) {
		const domain = store.domains.ensure(d.domid);
		domain.features = d.features;
		for (const q of d.quotas) {
			const name = quotaName(q.name);
			if (name !== undefined) domain.quotas[name] = q.value;
		}
	}
	// oxenstored lists children in byte order whatever order it dumps them in; keep its order.
	if (format === 'oxenstored-dump') store.tree.sortChildren();

	if (state.global !== undefined && state.global.socketFd >= 0)
		await daemon.adoptListener(resolve(state.global.socketFd) as number | Server);
	else await daemon.listen();

	const byId = new Map<number, Connection>();
	for (const c of state.connections) {
		let conn: Connection | undefined;
		if (c.spec.kind === 'socket') {
			const inherited = resolve(c.spec.fd);
			conn = inherited instanceof Connection ? inherited : daemon.adoptSocket(inherited as number | Socket);
		} else {
			const { domid, target, evtchn } = c.spec;
			const domain = store.domains.ensure(domid);
			domain.introduced = true;
			domain.evtchn = evtchn;
			if (target !== NO_TARGET) domain.target = target;
			const fd = extras.emulatedConnections[c.connId];
			if (fd !== undefined)
				conn = daemon.domainService.adoptConnection(domid, resolve(fd) as number | Socket);
			else if (domid !== 0)
				notes.push(`domain ${domid}: its ring cannot be attached without Xen; the domain is kept`);
		}
		if (conn === undefined) continue;
		conn.restorePending(c.pendingIn, c.pendingOut);
		byId.set(c.connId, conn);
	}
	// Clients the stream leaves out: the connections made for them before the handover serve them
	// as they are (capture.ts, CaptureOptions.prepared).
	const quiet: Connection[] = [];
	for (const fd of extras.quiet ?? []) {
		const made = resolve(fd);
		quiet.push(made instanceof Connection ? made : daemon.adoptSocket(made as number | Socket));
	}
	for (const [domid, fd] of Object.entries(extras.emulatedListeners)) {
		daemon.domainService.adoptListener(Number(domid), resolve(fd) as number | Server);
	}
	daemon.domainService.openMissingSockets();

	for (const w of state.watches) {
		const conn = byId.get(w.connId);
		if (conn === undefined) continue;
		const { path, relative } = canonicalWatchPath(conn.paths, w.path);
		const depth = w.type === 'WATCH_DATA_EXTENDED' && w.depth !== 0xffff ? w.depth : -1;
		addWatch(store, conn, path, w.token, depth, relative);
	}

	// Grouped once: looking each transaction's nodes up in the whole list would take time growing
	// with transactions times nodes, and a stream may hold thousands of both.
	const txNodes = new Map<string, NodeDataRecord[]>();
	for (const n of state.transactionNodes) {
		const key = `${n.connId}/${n.txId}`;
		const list = txNodes.get(key);
		if (list === undefined) txNodes.set(key, [n]);
		else list.push(n);
	}
	for (const t of state.transactions) {
		const conn = byId.get(t.connId);
		if (conn === undefined) continue;
		const key = `${t.connId}/${t.txId}`;
		const nodes: RestoredTxNode[] = (txNodes.get(key) ?? []).map((n) => ({
			path: n.path,
			deleted: n.access === NodeAccess.DELETED,
			written: (n.access & NodeAccess.WRITTEN) !== 0,
			value: valueFromBytes(n.value),
			perms: toPerms(n.perms),
		}));
		const more = extras.transactions[key];
		conn.adoptTransaction(
			store.restoreTransaction(t.txId, conn.caller, nodes, more?.listed ?? [], more?.doomed ?? false),
		);
	}

	beforeRelease?.();
	// Requests the predecessor had received but not handled go first, now that all state is back;
	// connections prepared before the handover start reading only now. Those with nothing to carry
	// over start a batch per turn, in the extras' order (the recently active first), so that
	// clients already answered are heard again in between.
	for (const conn of byId.values()) conn.release();
	daemon.releaseInTurns(quiet);
	rmSync(extrasPath(file), { force: true });
	return {
		connections: byId.size + quiet.length,
		nodes: store.tree.nodeCount,
		watches: state.watches.length,
		transactions: state.transactions.length,
		notes,
	};
}
