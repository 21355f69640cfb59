/**
 * The rules of a stream as a whole, beyond single records: records that others refer to come
 * first (connections before their watches and transactions, transactions before their nodes, a
 * committed node's parent before it), nothing is given twice, and END comes last. Memory grows with
 * what later records may refer to (connection ids, transactions, node paths), never with values.
 */
import { ABS_PATH_MAX } from '../protocol/limits.ts';
import { PathSet } from './path-set.ts';
import { type Position, type ProblemCode, type ProblemHandler, StreamError } from './problems.ts';
import type { MigrationRecord, NodeDataRecord } from './records.ts';

const NODE_PATH = /^(?:\/|(?:\/[A-Za-z0-9_@-]+)+)$/;
const SPECIAL_NODE = /^@[A-Za-z0-9_@-]+$/;

/** Whether `path` may name a committed node: `/`, an absolute path, or a special node (`@…`). */
export function isNodePath(path: string): boolean {
	return path.length <= ABS_PATH_MAX && (NODE_PATH.test(path) || SPECIAL_NODE.test(path));
}

export function isSpecialNode(path: string): boolean {
	return path.charCodeAt(0) === 0x40;
}

/** The parent of an absolute path other than `/`. */
export function parentOf(path: string): string {
	const slash = path.lastIndexOf('/');
	return slash <= 0 ? '/' : path.slice(0, slash);
}

export class StreamValidator {
	private readonly connections = new Set<number>();
	private readonly transactions = new Set<string>();
	private readonly watches = new Set<string>();
	private readonly nodes = new PathSet();
	private readonly transactionNodes = new Set<string>();
	private readonly domains = new Set<number>();
	/** The last committed node accepted, all of whose ancestors are known. */
	private lastNode = '/';
	private seenGlobal = false;
	private seenGlobalQuota = false;
	private ended = false;

	private readonly report: ProblemHandler;

	constructor(report: ProblemHandler) {
		this.report = report;
	}

	/** Whether END has been accepted. */
	get complete(): boolean {
		return this.ended;
	}

	/**
	 * Check one record against those before it. Returns whether to keep it; problems go to the
	 * handler first, which throws them in a strict read.
	 */
	accept(record: MigrationRecord, at: Position): boolean {
		if (this.ended) {
			this.fail('data-after-end', at, 'a record follows END');
			return false;
		}
		switch (record.type) {
			case 'END':
				this.ended = true;
				return true;
			case 'GLOBAL_DATA':
				if (this.seenGlobal) return this.fail('duplicate', at, 'a second GLOBAL_DATA');
				this.seenGlobal = true;
				return true;
			case 'GLOBAL_QUOTA_DATA':
				if (this.seenGlobalQuota) return this.fail('duplicate', at, 'a second GLOBAL_QUOTA_DATA');
				this.seenGlobalQuota = true;
				return true;
			case 'CONNECTION_DATA':
				if (record.connId === 0) return this.fail('bad-value', at, 'conn-id is 0');
				if (this.connections.has(record.connId)) {
					return this.fail('duplicate', at, `connection ${record.connId} is given twice`);
				}
				this.connections.add(record.connId);
				return true;
			case 'WATCH_DATA':
			case 'WATCH_DATA_EXTENDED': {
				if (!this.connections.has(record.connId)) {
					return this.fail(
						'unknown-connection',
						at,
						`watch ${show(record.path)} names connection ${record.connId}, not yet seen`,
					);
				}
				const key = `${record.connId}\0${record.path}\0${record.token}`;
				if (this.watches.has(key)) {
					return this.fail(
						'duplicate',
						at,
						`connection ${record.connId} watches ${show(record.path)} with token ${show(record.token)} twice`,
					);
				}
				this.watches.add(key);
				return true;
			}
			case 'TRANSACTION_DATA': {
				if (!this.connections.has(record.connId)) {
					return this.fail(
						'unknown-connection',
						at,
						`transaction ${record.txId} names connection ${record.connId}, not yet seen`,
					);
				}
				const key = `${record.connId}/${record.txId}`;
				if (this.transactions.has(key)) {
					return this.fail(
						'duplicate',
						at,
						`transaction ${record.txId} of connection ${record.connId} is given twice`,
					);
				}
				this.transactions.add(key);
				return true;
			}
			case 'NODE_DATA':
				return record.connId === 0 ? this.acceptCommitted(record, at) : this.acceptPending(record, at);
			case 'DOMAIN_DATA':
				if (this.domains.has(record.domid))
					return this.fail('duplicate', at, `domain ${record.domid} is given twice`);
				this.domains.add(record.domid);
				return true;
		}
	}

	private acceptCommitted(record: NodeDataRecord, at: Position): boolean {
		const { path } = record;
		if (!isNodePath(path)) return this.fail('bad-path', at, `${show(path)} is not a node path`);
		if (!this.nodes.add(path)) return this.fail('duplicate', at, `node ${show(path)} is given twice`);
		if (isSpecialNode(path)) return true;
		if (path !== '/' && !this.parentKnown(path)) {
			const parent = parentOf(path);
			// Kept when the read goes on (the receiver may hold the parent), thrown when strict.
			return this.fail('unknown-parent', at, `node ${show(path)} comes before its parent ${show(parent)}`);
		}
		this.lastNode = path; // kept orphans are not: their ancestors are not all known
		return true;
	}

	/**
	 * Whether a node's parent was seen. Streams list nodes depth first, so the parent is nearly
	 * always the node before or one of its ancestors: those are compared by prefix. Only other
	 * orders cost a lookup in the set.
	 */
	private parentKnown(path: string): boolean {
		const cut = path.lastIndexOf('/');
		const last = this.lastNode;
		if (cut === 0) return this.nodes.has('/');
		if (
			last.length >= cut &&
			last.startsWith(path.slice(0, cut)) &&
			(last.length === cut || last[cut] === '/')
		) {
			// `last` is the parent or lies below it; the parent is an ancestor of a known node, so known.
			return true;
		}
		return this.nodes.has(path, cut);
	}

	private acceptPending(record: NodeDataRecord, at: Position): boolean {
		const { path, connId, txId } = record;
		if (!this.connections.has(connId)) {
			return this.fail(
				'unknown-connection',
				at,
				`node ${show(path)} names connection ${connId}, not yet seen`,
			);
		}
		if (!this.transactions.has(`${connId}/${txId}`)) {
			return this.fail(
				'unknown-transaction',
				at,
				`node ${show(path)} names transaction ${txId} of connection ${connId}, not yet seen`,
			);
		}
		if (!isNodePath(path) || isSpecialNode(path)) {
			return this.fail('bad-path', at, `${show(path)} is not a node path`);
		}
		const key = `${connId}/${txId}${path}`;
		if (this.transactionNodes.has(key)) {
			return this.fail('duplicate', at, `node ${show(path)} of transaction ${txId} is given twice`);
		}
		this.transactionNodes.add(key);
		return true;
	}

	/** Report the problem; returns whether a lenient read keeps the record. */
	private fail(code: ProblemCode, at: Position, reason: string): boolean {
		const problem = new StreamError(code, at, reason);
		this.report(problem);
		return problem.disposition === 'keep';
	}
}

/** A byte string for a message: quoted, with anything unprintable escaped. */
export function show(s: string): string {
	return JSON.stringify(s);
}
