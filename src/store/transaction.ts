import { XenstoreError } from '../protocol/errors.ts';
import { EMPTY_VALUE, type Node, type Value } from './node.ts';
import { baseName, childPath, parentPath } from './path.ts';
import type { Perms } from './perms.ts';
import type { Tree } from './tree.ts';

/**
 * What a transaction saw of a committed node when it first looked: the node itself (or its absence)
 * and the generations of the parts it depended on. At commit every observation must still hold,
 * otherwise the transaction answers EAGAIN: conflicts are exactly changes to what it read or wrote.
 */
export interface Observation {
	node: Node | undefined;
	dataGen: number;
	childGen: number;
	/** The value or perms were read, or the node was written (C xenstored checks those too). */
	checkData: boolean;
	/** The child list was read (DIRECTORY) or the subtree removed. */
	checkChildren: boolean;
}

/** A node as the transaction sees it: its own writes, or a snapshot of what it read. */
export interface TxNode {
	exists: boolean;
	value: Value;
	perms: Perms;
	/** Generation to report in DIRECTORY_PART. */
	generation: number;
	/** Created inside the transaction: its children are only those in `added`. */
	fresh: boolean;
	/** Children created here, under a node that existed before. */
	added: Set<string> | undefined;
	/** Children removed here. */
	removed: Set<string> | undefined;
	/** Bytes the child list gained (or lost) here: names added minus names removed, NULs included. */
	childDelta: number;
}

/** The changes a transaction makes, in order, replayed onto the committed tree at commit. */
export type TxChange =
	| { kind: 'create'; path: string; value: Value; perms: Perms }
	| { kind: 'value'; path: string; value: Value }
	| { kind: 'perms'; path: string; perms: Perms }
	| { kind: 'remove'; path: string };

/** A watch event held back until commit: recursive unless it is for a node inside a removal. */
export interface PendingEvent {
	exact: boolean;
	perms: Perms | undefined;
	parentPerms: Perms | undefined;
	oldPerms: Perms | undefined;
}

/**
 * A transaction: an overlay on the committed tree holding only what it touched. Starting one costs
 * nothing and it never copies the store. Reads of untouched nodes go to the committed tree and are
 * recorded as observations; writes go to the overlay and to a change log replayed at commit.
 */
export class Transaction {
	readonly id: number;
	/** The domain the transaction belongs to (quota accounting). */
	readonly domid: number;
	readonly observations = new Map<string, Observation>();
	readonly nodes = new Map<string, TxNode>();
	/**
	 * Paths removed here: committed nodes at or below them are hidden from the transaction. Made on
	 * the first removal, like `owned`: most transactions remove and create nothing.
	 */
	private shadowed: Set<string> | undefined;
	readonly changes: TxChange[] = [];
	readonly events = new Map<string, PendingEvent>();
	/** Net nodes created here per owning domain, to check the nodes quota before commit. */
	private owned: Map<number, number> | undefined;
	private readonly tree: Tree;

	/** The transaction-nodes quota: distinct nodes it may access (0 for no limit). */
	private readonly nodeLimit: number;

	constructor(id: number, domid: number, tree: Tree, nodeLimit = 0) {
		this.id = id;
		this.domid = domid;
		this.tree = tree;
		this.nodeLimit = nodeLimit;
	}

	/** Distinct nodes this transaction has accessed (the transaction-nodes quota). */
	get accessedCount(): number {
		return this.observations.size;
	}

	private isShadowed(path: string): boolean {
		const shadowed = this.shadowed;
		if (shadowed === undefined) return false;
		if (shadowed.has(path)) return true;
		for (let p = path; p !== '/'; ) {
			p = parentPath(p);
			if (shadowed.has(p)) return true;
		}
		return false;
	}

	private observe(path: string, node: Node | undefined, data: boolean): void {
		const seen = this.observations.get(path);
		if (seen === undefined) {
			if (this.nodeLimit > 0 && this.observations.size >= this.nodeLimit) {
				throw new XenstoreError(
					'ENOSPC',
					`transaction ${this.id} of domain ${this.domid} reached its transaction-nodes quota (${this.nodeLimit})`,
				);
			}
			this.observations.set(path, {
				node,
				dataGen: node?.dataGen ?? 0,
				childGen: node?.childGen ?? 0,
				checkData: data,
				checkChildren: false,
			});
		} else if (data) {
			seen.checkData = true;
		}
	}

	/** The node at `path` as this transaction sees it, recording what was read. */
	get(path: string): TxNode | undefined {
		const own = this.nodes.get(path);
		if (own !== undefined) return own.exists ? own : undefined;
		if (this.isShadowed(path)) return undefined;
		const node = this.tree.lookup(path);
		this.observe(path, node, true);
		const view = snapshot(node);
		this.nodes.set(path, view);
		return node ? view : undefined;
	}

	/** The node at `path` as this transaction sees it, recording nothing (live update). */
	peek(path: string): TxNode | undefined {
		const own = this.nodes.get(path);
		if (own !== undefined) return own.exists ? own : undefined;
		if (this.isShadowed(path)) return undefined;
		const node = this.tree.lookup(path);
		return node === undefined ? undefined : snapshot(node);
	}

	/** Child names of an existing node as this transaction sees them, recording the listing. */
	children(path: string): string[] {
		const node = this.get(path);
		if (node === undefined) return [];
		const names: string[] = [];
		if (!node.fresh) {
			const seen = this.observations.get(path);
			const committed = seen?.node;
			if (seen !== undefined && !seen.checkChildren) {
				seen.checkChildren = true;
				seen.childGen = committed?.childGen ?? 0;
			}
			if (committed?.children !== undefined) {
				for (const name of committed.children.keys()) {
					if (node.removed?.has(name) || node.added?.has(name)) continue;
					names.push(name);
				}
			}
		}
		if (node.added !== undefined) for (const name of node.added) names.push(name);
		return names;
	}

	/**
	 * Bytes of a node's child list as this transaction sees it, for the node-size quota. Unlike
	 * `children` it records no listing: a quota check must not make the transaction conflict with
	 * every later change of the list.
	 */
	childBytes(path: string, node: TxNode): number {
		const committed = node.fresh ? 0 : (this.tree.lookup(path)?.childBytes ?? 0);
		return committed + node.childDelta;
	}

	/** Record a new node; its parent must exist in this transaction's view. */
	create(path: string, value: Value, perms: Perms, gen: number): void {
		const parent = this.get(parentPath(path))!;
		const name = baseName(path);
		if (parent.removed?.delete(name) !== true) {
			parent.added ??= new Set();
			parent.added.add(name);
		}
		parent.childDelta += name.length + 1;
		parent.generation = gen;
		this.nodes.set(path, {
			exists: true,
			value,
			perms,
			generation: gen,
			fresh: true,
			added: undefined,
			removed: undefined,
			childDelta: 0,
		});
		this.changes.push({ kind: 'create', path, value, perms });
	}

	setValue(path: string, node: TxNode, value: Value, gen: number): void {
		node.value = value;
		node.generation = gen;
		this.changes.push({ kind: 'value', path, value });
	}

	setPerms(path: string, node: TxNode, perms: Perms, gen: number): void {
		node.perms = perms;
		node.generation = gen;
		this.changes.push({ kind: 'perms', path, perms });
	}

	/**
	 * Remove a subtree from this transaction's view. Every node in it counts as read, children
	 * included, so that a concurrent change anywhere inside it is a conflict, as in C xenstored.
	 * `visit` sees each removed node, parents first, for events and accounting.
	 */
	remove(path: string, visit: (path: string, node: TxNode) => void): void {
		const order: Array<[string, TxNode]> = [];
		const stack: string[] = [path];
		while (stack.length > 0) {
			const p = stack.pop()!;
			const node = this.get(p);
			if (node === undefined) continue;
			order.push([p, node]);
			// Reversed, so that children come off the stack in their list order.
			for (const name of this.children(p).reverse()) stack.push(childPath(p, name));
		}
		// Parents first: C xenstored reports a removal inside a transaction in the order it first
		// touched the nodes, which is from the top of the subtree down.
		for (const [p, node] of order) visit(p, node);
		for (const p of [...this.nodes.keys()]) {
			if (p.length > path.length && p.startsWith(path) && p.charCodeAt(path.length) === 47)
				this.nodes.delete(p);
		}
		const parent = this.get(parentPath(path));
		const name = baseName(path);
		if (parent !== undefined && parent.added?.delete(name) !== true) {
			parent.removed ??= new Set();
			parent.removed.add(name);
		}
		if (parent !== undefined) parent.childDelta -= name.length + 1;
		this.nodes.set(path, {
			exists: false,
			value: EMPTY_VALUE,
			perms: [],
			generation: 0,
			fresh: false,
			added: undefined,
			removed: undefined,
			childDelta: 0,
		});
		this.shadowed ??= new Set();
		this.shadowed.add(path);
		this.changes.push({ kind: 'remove', path });
	}

	/** Whether the node at `path` was created by this transaction (nothing committed was there). */
	createdHere(path: string): boolean {
		const seen = this.observations.get(path);
		return this.nodes.get(path)?.fresh === true && seen !== undefined && seen.node === undefined;
	}

	/** Hold an event until commit; a recursive event for a path replaces an exact one. */
	queueEvent(path: string, event: PendingEvent): void {
		const queued = this.events.get(path);
		if (queued === undefined) this.events.set(path, event);
		else if (!event.exact) queued.exact = false;
	}

	private doomed = false;

	/** Mark the transaction as conflicting already (carried over a live update in that state). */
	doom(): void {
		this.doomed = true;
	}

	/** Whether everything this transaction observed is still as it was. */
	validate(): boolean {
		if (this.doomed) return false;
		for (const [path, seen] of this.observations) {
			const node = this.tree.lookup(path);
			if (node !== seen.node) return false;
			if (node === undefined) continue;
			if (seen.checkData && node.dataGen !== seen.dataGen) return false;
			if (seen.checkChildren && node.childGen !== seen.childGen) return false;
		}
		return true;
	}

	addOwned(domid: number, delta: number): void {
		this.owned ??= new Map();
		this.owned.set(domid, (this.owned.get(domid) ?? 0) + delta);
	}

	/** Net nodes this transaction created that `domid` owns. */
	ownedDelta(domid: number): number {
		return this.owned?.get(domid) ?? 0;
	}
}

/** What a transaction sees of a committed node (or of its absence) when it first looks. */
function snapshot(node: Node | undefined): TxNode {
	return {
		exists: node !== undefined,
		value: node?.value ?? EMPTY_VALUE,
		perms: node?.perms ?? [],
		generation: node?.generation ?? 0,
		fresh: false,
		added: undefined,
		removed: undefined,
		childDelta: 0,
	};
}
