import type { Server, Socket } from 'node:net';
import { adaptRecord } from '../migration/adapt.ts';
import { StreamBuilder } from '../migration/bulk-nodes.ts';
import { byteOrder } from '../migration/codec/byte-order.ts';
import type { Endian } from '../migration/constants.ts';
import { NO_TARGET, NodeAccess, UINT16_MAX } from '../migration/constants.ts';
import type {
	ConnectionDataRecord,
	MigrationRecord,
	NodeDataRecord,
	WatchDataExtendedRecord,
	WatchDataRecord,
} from '../migration/records.ts';
import { END, idleConnection } from '../migration/records.ts';
import { emptyState, type MigrationState } from '../migration/state.ts';
import type { Connection } from '../server/connection.ts';
import type { Daemon } from '../server/daemon.ts';
import { SocketTransport } from '../server/socket-transport.ts';
import { valueBytes } from '../store/node.ts';
import { pathDepth } from '../store/path.ts';
import type { Perms } from '../store/perms.ts';
import { QUOTA_NAMES } from '../store/quota.ts';
import type { Transaction } from '../store/transaction.ts';
import { reportedPath } from '../store/watches.ts';
import type { Extras } from './extras.ts';
import { recordPerms, type Snapshot, writeNodes } from './snapshot.ts';
import type { TargetKind } from './target.ts';

/**
 * Open transactions a rehearsal captures at most (see captureState). With 1,000 transactions of 20
 * writes each, a rehearsal that captured them all held every client for 100-145 ms.
 */
const REHEARSAL_TRANSACTIONS = 64;

/**
 * Changes to the store since the snapshot up to which a rehearsal writes the nodes they touched:
 * the real capture writes them all while clients wait, but a rehearsal writing tens of thousands,
 * eight times over, would stall the clients it still serves.
 */
const REHEARSAL_CHANGES = 1024;

/**
 * Where a descriptor of this process will be in the successor: the number the stream names for it.
 * The caller decides (passed at spawn at a chosen number, or over an IPC channel). `socket` is the
 * object behind the descriptor: a successor that was sent sockets knows them by object, not number.
 */
export type Placement = (fd: number, socket: Socket | Server | undefined) => number;

/** Descriptors passed at spawn, in order, from fd 3 on (0-2 stay the successor's stdio). */
export function placeFromThree(): { place: Placement; fds: number[] } {
	const fds: number[] = [];
	return {
		fds,
		place: (fd) => {
			fds.push(fd);
			return 3 + fds.length - 1;
		},
	};
}

export interface CaptureOptions {
	/** The snapshot the successor has loaded: only nodes changed since go into the stream. */
	base?: Snapshot;
	/** Change nothing, and write nodes only on a snapshot (see captureState). */
	rehearsal?: boolean;
	/** A rehearsal's share: only the first this many connections. */
	connections?: number;
	/**
	 * Where the successor holds a connection of its own, made before the handover, for this one
	 * (dom0 clients: ipc.ts): the stream's descriptor number for its socket. Such a connection with
	 * nothing to carry over (Connection.quiet) is left out of the stream, named only in the extras,
	 * so that a thousand idle clients cost the handover next to nothing here and in the successor.
	 */
	prepared?: (conn: Connection) => number | undefined;
}

export interface Captured {
	/** The whole migration stream. */
	stream: Buffer;
	/** How many records it holds (for the log). */
	records: number;
	/** What only a tsxenstored successor reads (see extras.ts). */
	extras: Extras;
	/** Things the successor will not get, for the log. */
	losses: string[];
}

/**
 * Before the real capture: every connection takes in what its transport holds back and reads
 * nothing more, so that the capture records all it received. Kept out of captureState, whose
 * rehearsals must run the very code the real capture runs: a branch they never took would throw
 * the optimized capture back to the interpreter, halfway through a thousand connections.
 */
export function stopReading(daemon: Daemon): void {
	for (const conn of daemon.connections.values()) conn.stopReading();
}

/**
 * The daemon's whole state as migration records: the listening socket, every connection with its
 * unprocessed input and pending output (the requester's reply to `live-update -s` last of all, as
 * C xenstored writes it), watches, open transactions with their nodes, every committed node with
 * its perms and stale flags, quotas and domains. A foreign successor (C xenstored) gets what it can
 * read: no transactions, and no watch depth. On a `base` snapshot the successor has loaded (a
 * tsxenstored one), only the nodes changed since go into the stream, their child lists into the
 * extras (snapshot.ts).
 *
 * A `rehearsal` changes nothing: the old process runs it while it still serves, so that the code
 * that captures thousands of connections is optimized by the time it runs for real, with clients
 * waiting (see rehearseCapture). It may take only the first `connections` of them, and at most
 * REHEARSAL_TRANSACTIONS open transactions. It writes nodes only on a snapshot, those changed
 * since, and only if they are few (REHEARSAL_CHANGES).
 */
export function captureState(
	daemon: Daemon,
	target: TargetKind,
	requester: Connection,
	reply: Buffer,
	endian: Endian,
	pass: Placement,
	options: CaptureOptions = {},
): Captured {
	const { base, rehearsal = false, prepared } = options;
	const { store } = daemon;
	const state: MigrationState = emptyState();
	const losses: string[] = [];
	const extras: Extras = { emulatedConnections: {}, emulatedListeners: {}, transactions: {} };
	const foreign = target === 'foreign';

	state.global = { type: 'GLOBAL_DATA', socketFd: pass(daemon.listenerFd, daemon.listener), evtchnFd: -1 };
	state.globalQuota = {
		type: 'GLOBAL_QUOTA_DATA',
		perDomain: QUOTA_NAMES.map((name) => ({ name, value: store.quotas[name] })),
		globalOnly: [],
	};

	const connections = [...daemon.connections.values()].filter((c) => c !== requester);
	connections.push(requester);
	if (rehearsal && options.connections !== undefined)
		connections.length = Math.min(connections.length, options.connections);
	const withRing = new Set<number>();
	// A rehearsal captures a few transactions, enough for V8 to optimize their code: capturing
	// every one of a thousand open transactions, eight times over, stalled clients each time.
	let transactionsLeft = REHEARSAL_TRANSACTIONS;
	let connId = 0;
	// Dom0's own ring comes first, as C xenstored writes it: its reader creates dom0 from it.
	state.connections.push(idleConnection(++connId, ringSpec(daemon, 0)));
	const ids = new Map<Connection, number>();
	// Quiet connections whose peers sent something lately, then the others (Extras.quiet).
	const recent: number[] = [];
	const quiet: number[] = [];
	for (const conn of connections) {
		// Only a connection the successor holds is asked whether it is quiet: asking a guest's ring
		// copies what it has queued.
		const at = conn === requester ? undefined : prepared?.(conn);
		if (at !== undefined && conn.quiet) {
			if (conn.recentlyActive) recent.push(at);
			else quiet.push(at);
			continue;
		}
		const emulated = !conn.caller.privileged;
		if (emulated && foreign) {
			losses.push(`${conn.label}: an emulated domain's socket cannot be handed to a foreign daemon`);
			continue;
		}
		const pendingIn = conn.unprocessedInput();
		if (pendingIn.length > UINT16_MAX) {
			// Requests pipelined past what was handled: one peer must not make the update fail.
			const what = `${pendingIn.length} bytes of unhandled input, more than a stream record holds`;
			losses.push(`${conn.label}: closed, with ${what}`);
			if (!rehearsal) conn.close(`${what} at a live update`);
			continue;
		}
		const id = ++connId;
		ids.set(conn, id);
		const onSocket = conn.transport instanceof SocketTransport ? conn.transport : undefined;
		const socket = onSocket?.socket;
		const fd = onSocket?.fd ?? -1;
		const pendingOut =
			conn === requester ? Buffer.concat([conn.pendingOutput(), reply]) : conn.pendingOutput();
		const record: ConnectionDataRecord = {
			type: 'CONNECTION_DATA',
			connId: id,
			spec: emulated ? ringSpec(daemon, conn.caller.domid) : { kind: 'socket', fd: pass(fd, socket) },
			pendingIn,
			pendingOut,
			partialResponseLength: 0,
		};
		if (emulated) {
			withRing.add(conn.caller.domid);
			extras.emulatedConnections[id] = pass(fd, socket);
		}
		state.connections.push(record);
		for (const w of conn.watches.values()) {
			const path = reportedPath(w, w.path);
			if (w.depth >= 0 && foreign) losses.push(`${conn.label}: watch ${path} loses its depth ${w.depth}`);
			state.watches.push(
				w.depth >= 0 && !foreign
					? ({
							type: 'WATCH_DATA_EXTENDED',
							connId: id,
							path,
							token: w.token,
							depth: w.depth,
						} satisfies WatchDataExtendedRecord)
					: ({ type: 'WATCH_DATA', connId: id, path, token: w.token } satisfies WatchDataRecord),
			);
		}
		if (!foreign) {
			for (const tx of conn.transactions.values()) {
				if (rehearsal && transactionsLeft-- <= 0) break;
				captureTransaction(daemon, id, tx, state, extras);
			}
		}
	}
	if (recent.length + quiet.length > 0) extras.quiet = [...recent, ...quiet];
	// Every introduced guest keeps a ring connection in the stream, so its successor knows it.
	for (const domain of store.domains.all()) {
		if (domain.domid === 0 || !domain.introduced || withRing.has(domain.domid)) continue;
		state.connections.splice(
			state.connections.length - 1,
			0,
			idleConnection(++connId, ringSpec(daemon, domain.domid)),
		);
	}
	for (const [domid, server, fd] of daemon.domainService.listeners()) {
		if (!foreign) extras.emulatedListeners[domid] = pass(fd, server);
	}

	for (const domain of store.domains.all()) {
		state.domains.push({
			type: 'DOMAIN_DATA',
			domid: domain.domid,
			features: domain.features,
			quotas: Object.entries(domain.quotas).map(([name, value]) => ({ name, value: value ?? 0 })),
		});
	}

	// C xenstored's order: global records, each connection with its watches and transactions, the
	// special nodes, every committed node parents first, the transactions' nodes, domains, END.
	const version = foreign ? 1 : 2;
	// Room for every node only when every node goes: a rehearsal writes none, and a state on a
	// snapshot only those changed since, usually few. A buffer sized for millions of nodes counts
	// towards V8's external memory and may set off a full collection while clients wait.
	const allNodes = !rehearsal && (base === undefined || foreign);
	const out = new StreamBuilder({ version, endian }, (allNodes ? 64 * store.tree.nodeCount : 0) + (1 << 16));
	let records = 0;
	const record = (r: MigrationRecord) => {
		if (foreign) {
			const adapted = adaptRecord(r, 1);
			losses.push(...adapted.losses);
			out.record(adapted.record);
		} else {
			out.record(r);
		}
		records++;
	};
	if (state.global) record(state.global);
	if (state.globalQuota) record(state.globalQuota);
	const following = new Map<number, MigrationRecord[]>();
	for (const r of [...state.watches, ...state.transactions]) {
		const list = following.get(r.connId);
		if (list === undefined) following.set(r.connId, [r]);
		else list.push(r);
	}
	for (const conn of state.connections) {
		record(conn);
		for (const r of following.get(conn.connId) ?? []) record(r);
	}
	const fewChanges =
		base !== undefined && base.since >= 0 && store.tree.generation - base.since <= REHEARSAL_CHANGES;
	if (!rehearsal || (fewChanges && !foreign)) {
		if (base !== undefined && !foreign) {
			const childLists: Array<[string, string[]]> = [];
			records += writeNodes(out, store, byteOrder(endian), base.since, childLists);
			extras.delta = { snapshot: base.file, childLists };
		} else {
			records += writeNodes(out, store, byteOrder(endian));
		}
	}
	for (const n of state.transactionNodes) record(n);
	for (const d of state.domains) record(d);
	record(END);
	return { stream: out.finish(), records, extras, losses };
}

function ringSpec(daemon: Daemon, domid: number) {
	const domain = daemon.store.domains.get(domid);
	return { kind: 'ring' as const, domid, target: domain?.target ?? NO_TARGET, evtchn: domain?.evtchn ?? 0 };
}

function nodeRecord(
	path: string,
	value: Buffer,
	p: Perms,
	daemon: Daemon,
	tx?: { connId: number; txId: number; access: number },
): NodeDataRecord {
	return {
		type: 'NODE_DATA',
		connId: tx?.connId ?? 0,
		txId: tx?.txId ?? 0,
		access: tx?.access ?? 0,
		perms: recordPerms(daemon.store, p),
		path,
		value,
	};
}

/**
 * An open transaction: its TRANSACTION_DATA, then a NODE_DATA per node it touched, parents first:
 * written nodes with their new value and perms, nodes it only read with what it saw, and nodes it
 * removed (access 0, no perms). A transaction already doomed to EAGAIN is marked in the extras.
 */
function captureTransaction(
	daemon: Daemon,
	connId: number,
	tx: Transaction,
	state: MigrationState,
	extras: Extras,
): void {
	state.transactions.push({ type: 'TRANSACTION_DATA', connId, txId: tx.id });
	const written = new Set(tx.changes.map((c) => c.path));
	const children: string[] = [];
	const paths = new Set([...tx.observations.keys(), ...tx.nodes.keys()]);
	for (const path of [...paths].sort(parentsFirst)) {
		const seen = tx.observations.get(path);
		if (seen?.checkChildren) children.push(path);
		const view = tx.peek(path);
		const read = seen?.checkData ? NodeAccess.READ : 0;
		if (view !== undefined) {
			const access = (written.has(path) ? NodeAccess.WRITTEN : 0) | read;
			if (access === 0) continue;
			state.transactionNodes.push(
				nodeRecord(path, valueBytes(view.value), view.perms, daemon, { connId, txId: tx.id, access }),
			);
		} else if (seen?.node !== undefined) {
			state.transactionNodes.push(
				nodeRecord(path, Buffer.alloc(0), [], daemon, { connId, txId: tx.id, access: NodeAccess.DELETED }),
			);
		}
	}
	extras.transactions[`${connId}/${tx.id}`] = { doomed: !tx.validate(), listed: children };
}

/** Order paths so that a parent always comes before its children. */
function parentsFirst(a: string, b: string): number {
	const da = pathDepth(a);
	const db = pathDepth(b);
	return da !== db ? da - db : a < b ? -1 : a > b ? 1 : 0;
}
