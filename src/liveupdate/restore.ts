import { rmSync } from 'node:fs';
import { NO_TARGET, NodeAccess, PERM_LETTERS } from '../migration/constants.ts';
import { openInput } from '../migration/input.ts';
import type { SourceFormat } from '../migration/reader.ts';
import type { NodePerm } from '../migration/records.ts';
import { addRecord, emptyState, type MigrationState } from '../migration/state.ts';
import { addWatch } from '../ops/watch.ts';
import type { Connection } from '../server/connection.ts';
import type { Daemon } from '../server/daemon.ts';
import { canonicalWatchPath, domainHome } from '../store/path.ts';
import { type PermEntry, type Perms, PRIVILEGED_CALLER } from '../store/perms.ts';
import { quotaName } from '../store/quota.ts';
import type { RestoredTxNode } from '../store/store.ts';
import { extrasPath, readExtras } from './extras.ts';

/** What a restore did that an operator should know (rings that cannot be attached here, ...). */
export interface RestoreReport {
	connections: number;
	nodes: number;
	watches: number;
	transactions: number;
	notes: string[];
}

function toPerms(perms: readonly NodePerm[]): Perms {
	return Object.freeze(
		perms.map(
			(p): PermEntry =>
				Object.freeze({ domid: p.domid, access: PERM_LETTERS.indexOf(p.access), stale: p.stale, since: 0 }),
		),
	);
}

/** Read a state file (a binary stream or oxenstored's text dump) into a whole state. */
export async function readState(file: string): Promise<{ state: MigrationState; format: SourceFormat }> {
	const input = await openInput(file);
	const state = emptyState();
	for await (const item of input.items()) if (item.kind === 'record') addRecord(state, item.record);
	return { state, format: input.format };
}

/**
 * Become the daemon a predecessor was: its nodes, quotas and domains, its listening socket and
 * every connection (with the input it had not processed and the output it had not sent, which go
 * first), their watches and open transactions. Descriptors named in the state are this process's
 * own: the predecessor passed them at those numbers. Removing the state file tells the predecessor
 * that this process now serves.
 */
export async function restoreDaemon(daemon: Daemon, file: string): Promise<RestoreReport> {
	const { state, format } = await readState(file);
	const extras = readExtras(file);
	const { store } = daemon;
	const notes: string[] = [];

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
	for (const n of state.nodes) store.restoreNode(n.path, n.value, toPerms(n.perms));
	// oxenstored lists children in byte order whatever order it dumps them in; keep its order.
	if (format === 'oxenstored-dump') store.tree.sortChildren();

	if (state.global !== undefined && state.global.socketFd >= 0)
		await daemon.adoptListener(state.global.socketFd);
	else await daemon.listen();

	const byId = new Map<number, Connection>();
	for (const c of state.connections) {
		let conn: Connection | undefined;
		if (c.spec.kind === 'socket') {
			conn = daemon.adoptSocket(c.spec.fd, PRIVILEGED_CALLER, { home: domainHome(0), pathMax: 0 });
		} else {
			const { domid, target, evtchn } = c.spec;
			const domain = store.domains.ensure(domid);
			domain.introduced = true;
			domain.evtchn = evtchn;
			if (target !== NO_TARGET) domain.target = target;
			const fd = extras.emulatedConnections[c.connId];
			if (fd !== undefined) conn = daemon.domainService.adoptConnection(domid, fd);
			else if (domid !== 0)
				notes.push(`domain ${domid}: its ring cannot be attached without Xen; the domain is kept`);
		}
		if (conn === undefined) continue;
		conn.restorePending(c.pendingIn, c.pendingOut);
		byId.set(c.connId, conn);
	}
	for (const [domid, fd] of Object.entries(extras.emulatedListeners)) {
		daemon.domainService.adoptListener(Number(domid), fd);
	}
	daemon.domainService.openMissingSockets();

	for (const w of state.watches) {
		const conn = byId.get(w.connId);
		if (conn === undefined) continue;
		const { path, relative } = canonicalWatchPath(conn.paths, w.path);
		const depth = w.type === 'WATCH_DATA_EXTENDED' && w.depth !== 0xffff ? w.depth : -1;
		addWatch(store, conn, path, w.token, depth, relative);
	}

	for (const t of state.transactions) {
		const conn = byId.get(t.connId);
		if (conn === undefined) continue;
		const nodes: RestoredTxNode[] = state.transactionNodes
			.filter((n) => n.connId === t.connId && n.txId === t.txId)
			.map((n) => ({
				path: n.path,
				deleted: n.access === NodeAccess.DELETED,
				written: (n.access & NodeAccess.WRITTEN) !== 0,
				value: n.value,
				perms: toPerms(n.perms),
			}));
		const more = extras.transactions[`${t.connId}/${t.txId}`];
		conn.adoptTransaction(
			store.restoreTransaction(t.txId, conn.caller, nodes, more?.listed ?? [], more?.doomed ?? false),
		);
	}

	// Requests the predecessor had received but not handled go first, now that all state is back.
	for (const conn of byId.values()) conn.processInput();
	rmSync(extrasPath(file), { force: true });
	return {
		connections: byId.size,
		nodes: state.nodes.length,
		watches: state.watches.length,
		transactions: state.transactions.length,
		notes,
	};
}
