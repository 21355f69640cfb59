/**
 * A whole migration state, as one daemon hands it to the next: what the records of a stream say,
 * grouped by kind. Records keep their stream order within each kind; recordsFromState writes them
 * back in C xenstored's order, so a stream read and written again comes out the same.
 */
import type {
	ConnectionDataRecord,
	DomainDataRecord,
	GlobalDataRecord,
	GlobalQuotaDataRecord,
	MigrationRecord,
	NodeDataRecord,
	TransactionDataRecord,
	WatchDataExtendedRecord,
	WatchDataRecord,
} from './records.ts';
import { END } from './records.ts';
import { isSpecialNode } from './validator.ts';

export type WatchRecord = WatchDataRecord | WatchDataExtendedRecord;

export interface MigrationState {
	global?: GlobalDataRecord;
	globalQuota?: GlobalQuotaDataRecord;
	/** In the order they are written; the live-update requester last, as C xenstored does. */
	connections: ConnectionDataRecord[];
	watches: WatchRecord[];
	transactions: TransactionDataRecord[];
	/** Committed nodes, parents before children; special nodes (`@…`) among them. */
	nodes: NodeDataRecord[];
	/** Nodes read, written or deleted inside open transactions. */
	transactionNodes: NodeDataRecord[];
	domains: DomainDataRecord[];
}

export function emptyState(): MigrationState {
	return { connections: [], watches: [], transactions: [], nodes: [], transactionNodes: [], domains: [] };
}

/** Add one record to a state (END adds nothing). */
export function addRecord(state: MigrationState, record: MigrationRecord): void {
	switch (record.type) {
		case 'END':
			return;
		case 'GLOBAL_DATA':
			state.global = record;
			return;
		case 'GLOBAL_QUOTA_DATA':
			state.globalQuota = record;
			return;
		case 'CONNECTION_DATA':
			state.connections.push(record);
			return;
		case 'WATCH_DATA':
		case 'WATCH_DATA_EXTENDED':
			state.watches.push(record);
			return;
		case 'TRANSACTION_DATA':
			state.transactions.push(record);
			return;
		case 'NODE_DATA':
			(record.connId === 0 ? state.nodes : state.transactionNodes).push(record);
			return;
		case 'DOMAIN_DATA':
			state.domains.push(record);
			return;
	}
}

/** The state that records describe. They are taken as given: read them with readStream to check them. */
export function stateFromRecords(records: Iterable<MigrationRecord>): MigrationState {
	const state = emptyState();
	for (const record of records) addRecord(state, record);
	return state;
}

export async function collectState(records: AsyncIterable<MigrationRecord>): Promise<MigrationState> {
	const state = emptyState();
	for await (const record of records) addRecord(state, record);
	return state;
}

/**
 * The records of a state in the order C xenstored writes them: GLOBAL_DATA, GLOBAL_QUOTA_DATA,
 * each connection followed by its watches and transactions, the special nodes, every other
 * committed node (in the state's order, which must put parents first), the transactions' nodes,
 * DOMAIN_DATA, END.
 */
export function* recordsFromState(state: MigrationState): Generator<MigrationRecord> {
	if (state.global) yield state.global;
	if (state.globalQuota) yield state.globalQuota;
	const watches = groupBy(state.watches);
	const transactions = groupBy(state.transactions);
	for (const conn of state.connections) {
		yield conn;
		yield* watches.get(conn.connId) ?? [];
		yield* transactions.get(conn.connId) ?? [];
	}
	for (const node of state.nodes) if (isSpecialNode(node.path)) yield node;
	for (const node of state.nodes) if (!isSpecialNode(node.path)) yield node;
	yield* state.transactionNodes;
	yield* state.domains;
	yield END;
}

function groupBy<T extends { connId: number }>(items: readonly T[]): Map<number, T[]> {
	const map = new Map<number, T[]>();
	for (const item of items) {
		const list = map.get(item.connId);
		if (list) list.push(item);
		else map.set(item.connId, [item]);
	}
	return map;
}
