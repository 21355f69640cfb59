import { XenstoreError } from '../protocol/errors.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { Accounts, nodeBytes } from './accounting.ts';
import { namesFromList } from './children.ts';
import { DomainTable } from './domains.ts';
import { EMPTY_VALUE, Node, type Value } from './node.ts';
import { baseName, childPath, parentPath, pathDepth } from './path.ts';
import {
	Access,
	type AccessBits,
	accessFor,
	type Caller,
	DEFAULT_PERMS,
	inheritedPerms,
	isOwner,
	ownerOf,
	type PermEntry,
	type Perms,
} from './perms.ts';
import {
	checkQuota,
	DEFAULT_QUOTAS,
	DEFAULT_SOFT_QUOTAS,
	nodeSize,
	type QuotaName,
	type Quotas,
} from './quota.ts';
import { Transaction, type TxNode } from './transaction.ts';
import { Tree, walkPostOrder } from './tree.ts';
import { WatchIndex } from './watches.ts';

export interface StoreOptions {
	/** Global quotas: the defaults of every domain. */
	quotas?: Partial<Quotas>;
	/** Server features a new domain gets. */
	features?: number;
	/** Where soft-quota warnings go. */
	warn?: (message: string) => void;
	/** Start with only the root, for a store about to be restored from a migration stream. */
	bare?: boolean;
}

function tooBig(path: string, size: number): XenstoreError {
	return new XenstoreError('E2BIG', `children of ${path} take ${size} bytes`);
}

/** Names, each followed by a NUL, in one buffer; E2BIG past the payload limit. */
function encodeNames(names: Iterable<string>, path: string): Buffer {
	const list = [...names];
	let size = 0;
	for (const name of list) size += name.length + 1;
	if (size > PAYLOAD_MAX) throw tooBig(path, size);
	const out = Buffer.allocUnsafe(size);
	let at = 0;
	for (const name of list) {
		at += out.write(name, at, 'latin1');
		out[at++] = 0;
	}
	return out;
}

/** Whether `path` is a child of `parent` (one level below), without building the parent's path. */
function isChildOf(path: string, parent: string): boolean {
	const at = parent === '/' ? 0 : parent.length;
	return (
		path.length > at + 1 &&
		path.charCodeAt(at) === 47 &&
		path.indexOf('/', at + 1) < 0 &&
		(at === 0 || path.startsWith(parent))
	);
}

/** A node an open transaction touched, as a migration stream carries it. */
export interface RestoredTxNode {
	path: string;
	/** Removed by the transaction. */
	deleted: boolean;
	/** Written by the transaction (else only read). */
	written: boolean;
	value: Value;
	perms: Perms;
}

/** A node as an operation sees it, committed or inside a transaction. */
interface NodeView {
	value: Value;
	perms: Perms;
}

/** The result of DIRECTORY_PART: the generation count and the requested slice of the child list. */
export interface DirectoryPart {
	generation: number;
	/** The child list bytes from the offset, each name NUL-terminated, cut to fit one reply. */
	names: Buffer;
	/** Whether the slice reaches the end of the list. */
	complete: boolean;
}

/**
 * The xenstore database and its semantics: the tree, perms, transactions, watches and the
 * accounting behind quotas. Pure and synchronous: no sockets, no clock. Every method takes the
 * caller (for permission checks and quotas) and, inside a transaction, the transaction.
 * Errors are thrown as XenstoreError with the reply's error name.
 */
export class Store {
	readonly tree: Tree;
	readonly watches: WatchIndex;
	/** Global quotas; a domain's own values override them. */
	readonly quotas: Quotas;
	/** Soft quotas only warn in the log (C xenstored has one, for memory). */
	readonly softQuotas: { memory: number } = { ...DEFAULT_SOFT_QUOTAS };
	/** Known domains: introduction state, features and their own quota values. */
	readonly domains: DomainTable;
	/** Committed nodes and bytes per owning domain. */
	readonly accounts = new Accounts();
	/** Encoded child lists of committed nodes, while they stay unchanged (see directoryReply). */
	private readonly listings = new WeakMap<Node, { childGen: number; bytes: Buffer }>();
	/** Generation at which each departed domain went away: perm entries older than it are stale. */
	private readonly departed = new Map<number, number>();
	private readonly warn: (message: string) => void;

	constructor(options: StoreOptions = {}) {
		this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
		this.domains = new DomainTable(options.features ?? 0, () => this.quotas);
		this.warn = options.warn ?? (() => {});
		this.watches = new WatchIndex(this.isStale);
		this.tree = new Tree();
		this.accounts.added('/', this.tree.root);
		for (const [name, node] of this.tree.special) this.accounts.added(name, node);
		if (options.bare) return;
		const tool = this.attach('/tool', this.tree.root, EMPTY_VALUE, DEFAULT_PERMS);
		this.attach('/tool/xenstored', tool, EMPTY_VALUE, DEFAULT_PERMS);
	}

	/**
	 * Live update: a function that sets committed nodes as a migration stream gives them, parents
	 * before children. A stream lists a tree from the top down, so the parent of each node is almost
	 * always on the path just restored: a stack of it makes each node one Map insertion, without
	 * walking from the root. A special `@` node only takes the perms.
	 */
	nodeRestorer(): (path: string, value: Value, perms: Perms) => void {
		// The path from the root to the node restored last: paths and nodes side by side.
		const paths: string[] = ['/'];
		const nodes: Node[] = [this.tree.root];
		return (path, value, perms) => {
			if (path.charCodeAt(0) === 64) {
				const special = this.tree.special.get(path);
				if (special === undefined) throw new XenstoreError('EINVAL', `${path} is not a special node`);
				this.setNodePerms(path, special, perms);
				return;
			}
			if (path === '/') {
				this.setValue(path, this.tree.root, value);
				this.setNodePerms(path, this.tree.root, perms);
				return;
			}
			while (paths.length > 0 && !isChildOf(path, paths[paths.length - 1]!)) {
				paths.pop();
				nodes.pop();
			}
			if (paths.length === 0) {
				const parentName = parentPath(path);
				const parent = this.tree.lookup(parentName);
				if (parent === undefined) throw new XenstoreError('ENOENT', `parent of ${path} is not known`);
				paths.push(parentName);
				nodes.push(parent);
			}
			const parent = nodes[nodes.length - 1]!;
			let node = parent.child(baseName(path));
			if (node === undefined) {
				node = this.attach(path, parent, value, perms);
			} else {
				this.setValue(path, node, value);
				this.setNodePerms(path, node, perms);
			}
			paths.push(path);
			nodes.push(node);
		};
	}

	/**
	 * Live update on a snapshot (liveupdate/snapshot.ts): make the children of `path` exactly
	 * `names`, in that order. Children not named go, with their subtrees and their accounting; no
	 * watch fires, as nobody watches yet. Every name must already be a child.
	 */
	restoreChildList(path: string, names: readonly string[]): void {
		const node = this.tree.lookup(path);
		if (node === undefined) throw new XenstoreError('ENOENT', `${path}: no such node to list children of`);
		const children = node.children;
		if (children === undefined) {
			if (names.length > 0) throw new XenstoreError('ENOENT', `${path}/${names[0]} is not known`);
			return;
		}
		const keep = new Set(names);
		if (keep.size !== names.length) throw new XenstoreError('EINVAL', `${path}: a child is listed twice`);
		for (const name of [...children.keys()]) {
			if (!keep.has(name)) this.removeCommitted(childPath(path, name), undefined, false);
		}
		let inOrder = children.size === names.length;
		let i = 0;
		for (const name of children.keys()) {
			if (name !== names[i++]) {
				inOrder = false;
				break;
			}
		}
		if (inOrder) return;
		const entries = names.map((name): [string, Node] => {
			const child = children.get(name);
			if (child === undefined) throw new XenstoreError('ENOENT', `${childPath(path, name)} is not known`);
			return [name, child];
		});
		children.clear();
		for (const [name, child] of entries) children.set(name, child);
	}

	/** Whether a domain went away after generation `gen` (making perm entries stale since). */
	departedSince(gen: number): boolean {
		for (const at of this.departed.values()) if (at > gen) return true;
		return false;
	}

	/** The quota `name` that applies to `domid`. */
	quota(domid: number, name: QuotaName): number {
		return this.domains.get(domid)?.quotas[name] ?? this.quotas[name];
	}

	ownedBy(domid: number): number {
		return this.accounts.get(domid).nodes;
	}

	/** Whether a perm entry names a domain that went away after the entry was written. */
	readonly isStale = (entry: PermEntry): boolean => {
		if (entry.stale) return true;
		const gone = this.departed.get(entry.domid);
		return gone !== undefined && gone >= entry.since;
	};

	private access(caller: Caller, perms: Perms): AccessBits {
		return accessFor(caller, perms, this.isStale);
	}

	// ---- reading -------------------------------------------------------------------------------

	private view(tx: Transaction | undefined, path: string): NodeView | undefined {
		return tx ? tx.get(path) : this.tree.lookup(path);
	}

	/**
	 * The node at `path` if the caller has `need` on it. Otherwise ENOENT or EACCES, chosen as C
	 * xenstored does: an unprivileged caller learns that a node is missing only if it has the same
	 * access to the nearest existing ancestor; else it is told EACCES and learns nothing.
	 */
	private checked(caller: Caller, tx: Transaction | undefined, path: string, need: AccessBits): NodeView {
		const node = this.accessible(caller, tx, path, need);
		if (node === undefined) throw new XenstoreError('ENOENT', `${path} does not exist`);
		return node;
	}

	/** As `checked`, but a missing node the caller may learn about is undefined, not an error. */
	private accessible(
		caller: Caller,
		tx: Transaction | undefined,
		path: string,
		need: AccessBits,
	): NodeView | undefined {
		const node = this.view(tx, path);
		if (node !== undefined && (this.access(caller, node.perms) & need) === need) return node;
		if (node !== undefined || (!caller.privileged && !this.ancestorGrants(caller, tx, path, need))) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} may not access ${path}`);
		}
		return undefined;
	}

	private ancestorGrants(
		caller: Caller,
		tx: Transaction | undefined,
		path: string,
		need: AccessBits,
	): boolean {
		for (let p = path; p !== '/'; ) {
			p = parentPath(p);
			const node = this.view(tx, p);
			if (node !== undefined) return (this.access(caller, node.perms) & need) !== 0;
		}
		return false;
	}

	/** The value at `path`; undefined when there is no node there and the caller may know it. */
	read(caller: Caller, tx: Transaction | undefined, path: string): Value | undefined {
		return this.accessible(caller, tx, path, Access.READ)?.value;
	}

	getPerms(caller: Caller, tx: Transaction | undefined, path: string): Perms {
		if (path.charCodeAt(0) === 64) return this.special(caller, path, Access.READ).perms;
		return this.checked(caller, tx, path, Access.READ).perms;
	}

	/** A special `@` node, if the caller has `need` on it: they live outside transactions. */
	private special(caller: Caller, path: string, need: AccessBits): Node {
		const node = this.tree.special.get(path);
		if (node === undefined) throw new XenstoreError('ENOENT', `${path} is not a special node`);
		if ((this.access(caller, node.perms) & need) !== need) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} may not access ${path}`);
		}
		return node;
	}

	/**
	 * DIRECTORY's reply: the child names, each NUL-terminated, or E2BIG when they do not fit in one
	 * reply (clients then page with DIRECTORY_PART). A committed node's list is kept once encoded,
	 * until its child list changes: directories are listed far more often than they change.
	 * Undefined when there is no node there and the caller may know it.
	 */
	directoryReply(caller: Caller, tx: Transaction | undefined, path: string): Buffer | undefined {
		if (this.accessible(caller, tx, path, Access.READ) === undefined) return undefined;
		if (tx) return encodeNames(tx.children(path), path);
		const node = this.tree.lookup(path)!;
		if (node.childBytes > PAYLOAD_MAX) throw tooBig(path, node.childBytes);
		const cached = this.listings.get(node);
		if (cached !== undefined && cached.childGen === node.childGen) return cached.bytes;
		const bytes = encodeNames(node.children === undefined ? [] : node.children.keys(), path);
		this.listings.set(node, { childGen: node.childGen, bytes });
		return bytes;
	}

	/**
	 * DIRECTORY_PART: the child list from byte `offset`, as much as fits in one reply after the
	 * generation count, cut at a name boundary. An offset inside a name starts mid-name, as in C.
	 */
	directoryPart(caller: Caller, tx: Transaction | undefined, path: string, offset: number): DirectoryPart {
		const node = this.checked(caller, tx, path, Access.READ);
		const generation = tx ? (node as TxNode).generation : (node as Node).generation;
		const room = PAYLOAD_MAX - (String(generation).length + 1) - 1;
		const parts: Buffer[] = [];
		let used = 0;
		let complete = true;
		// Each name from the one the offset falls in, `pos` its place in the whole list; false: full.
		const take = (name: string, pos: number): boolean => {
			const entry = `${name}\0`.slice(Math.max(0, offset - pos));
			if (used + entry.length - 1 >= room) {
				complete = false;
				return false;
			}
			parts.push(Buffer.from(entry, 'latin1'));
			used += entry.length;
			return true;
		};
		if (tx) namesFromList(tx.children(path), offset, take);
		else (node as Node).children?.namesFrom(offset, take);
		return { generation, names: Buffer.concat(parts, used), complete };
	}

	// ---- writing -------------------------------------------------------------------------------

	write(caller: Caller, tx: Transaction | undefined, path: string, value: Value): void {
		const node = this.writable(caller, tx, path);
		if (node === undefined) {
			this.emit(tx, path, this.create(caller, tx, path, value));
			return;
		}
		this.checkNodeSize(caller, value.length, node.perms.length, this.childBytesOf(tx, path, node));
		this.checkMemory(caller, value.length - node.value.length);
		if (tx) tx.setValue(path, node as TxNode, value, this.tree.nextGen());
		else this.setValue(path, node as Node, value);
		this.emit(tx, path, node.perms);
	}

	mkdir(caller: Caller, tx: Transaction | undefined, path: string): void {
		if (this.writable(caller, tx, path) !== undefined) return;
		this.emit(tx, path, this.create(caller, tx, path, EMPTY_VALUE));
	}

	/** The node if it exists and the caller may write it; undefined if it is missing but may be created. */
	private writable(caller: Caller, tx: Transaction | undefined, path: string): NodeView | undefined {
		return this.accessible(caller, tx, path, Access.WRITE);
	}

	/** Bytes of a node's child list, committed or as the transaction sees it. */
	private childBytesOf(tx: Transaction | undefined, path: string, node: NodeView): number {
		return tx ? tx.childBytes(path, node as TxNode) : (node as Node).childBytes;
	}

	private checkNodeSize(caller: Caller, valueLength: number, permCount: number, childBytes: number): void {
		if (caller.privileged) return;
		const limit = this.quota(caller.domid, 'node-size');
		checkQuota('node-size', limit, nodeSize(valueLength, permCount, childBytes) + 1, caller.domid);
	}

	/** The memory quota: what a guest's nodes take, hard limit ENOMEM, soft limit a warning. */
	private checkMemory(caller: Caller, delta: number): void {
		if (caller.privileged || delta <= 0) return;
		const { domid } = caller;
		const wanted = this.accounts.get(domid).bytes + delta;
		const hard = this.quota(domid, 'memory');
		if (hard > 0 && wanted > hard) {
			throw new XenstoreError('ENOMEM', `domain ${domid} reached its memory quota (${hard} bytes)`);
		}
		const soft = this.softQuotas.memory;
		if (soft > 0 && wanted > soft)
			this.warn(`domain ${domid} uses ${wanted} bytes, over the soft memory quota ${soft}`);
	}

	/**
	 * Create `path` with `value`, and any missing parents empty, each inheriting its parent's perms.
	 * Returns the new node's perms.
	 */
	private create(caller: Caller, tx: Transaction | undefined, path: string, value: Value): Perms {
		const missing: string[] = [];
		let parent: NodeView | undefined;
		for (let p = path; ; ) {
			missing.push(p);
			p = parentPath(p);
			parent = this.view(tx, p);
			if (parent !== undefined) break;
		}
		let perms = parent.perms;
		if (!caller.privileged) {
			const wanted = this.ownedBy(caller.domid) + (tx?.ownedDelta(caller.domid) ?? 0) + missing.length;
			checkQuota('nodes', this.quota(caller.domid, 'nodes'), wanted, caller.domid);
			// Every node written is checked, as C xenstored writes them: the new node with the value
			// (its perms a copy of the parent's, as many entries), each missing parent holding one
			// child name, and the existing ancestor, whose child list grows by one name.
			this.checkNodeSize(caller, value.length, perms.length, 0);
			for (let i = 1; i < missing.length; i++) {
				this.checkNodeSize(caller, 0, perms.length, baseName(missing[i - 1]!).length + 1);
			}
			const top = missing[missing.length - 1]!;
			const grown = this.childBytesOf(tx, parentPath(top), parent) + baseName(top).length + 1;
			this.checkNodeSize(caller, parent.value.length, parent.perms.length, grown);
			this.checkMemory(caller, value.length + missing.length * (nodeSize(0, perms.length, 0) + path.length));
		}
		for (let i = missing.length - 1; i >= 0; i--) {
			const p = missing[i]!;
			perms = inheritedPerms(caller, perms);
			const v = i === 0 ? value : EMPTY_VALUE;
			if (tx) {
				tx.create(p, v, perms, this.tree.nextGen());
				tx.addOwned(ownerOf(perms), 1);
			} else {
				this.attach(p, this.tree.lookup(parentPath(p))!, v, perms);
			}
		}
		return perms;
	}

	/** Add a committed node under `parent`, with its accounting. */
	private attach(path: string, parent: Node, value: Value, perms: Perms): Node {
		const gen = this.tree.nextGen();
		const node = new Node(value, perms, gen);
		const name = baseName(path);
		parent.addChild(name, node, gen);
		this.accounts.resized(parent, name.length + 1);
		this.accounts.added(path, node);
		this.tree.nodeCount++;
		return node;
	}

	private setValue(path: string, node: Node, value: Value): void {
		this.accounts.resized(node, value.length - node.value.length);
		this.settleStale(path, node);
		node.value = value;
		node.dataGen = this.tree.nextGen();
	}

	private setNodePerms(path: string, node: Node, perms: Perms): void {
		const old = node.perms;
		node.perms = perms;
		node.dataGen = this.tree.nextGen();
		this.accounts.permsChanged(path, node, old);
	}

	/**
	 * Before a node is rewritten, make stale entries stale for good: written afresh they would carry
	 * a new stamp and grant a later domain with a reused id what the departed one had (C xenstored
	 * marks them the same way when it writes a node).
	 */
	private settleStale(path: string, node: Node): void {
		if (this.departed.size === 0) return;
		const perms = node.perms;
		if (!perms.some((e, i) => i > 0 && !e.stale && this.isStale(e))) return;
		this.setNodePerms(
			path,
			node,
			Object.freeze(perms.map((e, i) => (i > 0 && !e.stale && this.isStale(e) ? { ...e, stale: true } : e))),
		);
	}

	rm(caller: Caller, tx: Transaction | undefined, path: string): void {
		const node = this.writable(caller, tx, path);
		if (node === undefined) {
			if (this.view(tx, parentPath(path)) === undefined) {
				throw new XenstoreError('ENOENT', `parent of ${path} does not exist`);
			}
			return;
		}
		if (path === '/') throw new XenstoreError('EINVAL', 'the root cannot be removed');
		const parentPerms = this.view(tx, parentPath(path))?.perms;
		if (tx) {
			tx.remove(path, (p, n) => {
				tx.addOwned(ownerOf(n.perms), -1);
				// A node born and gone inside the transaction leaves nothing to tell (as in C).
				if (tx.createdHere(p)) {
					tx.events.delete(p);
					return;
				}
				tx.queueEvent(p, {
					exact: p !== path,
					perms: n.perms,
					parentPerms: p === path ? parentPerms : undefined,
					oldPerms: undefined,
				});
			});
		} else {
			this.removeCommitted(path, parentPerms, true);
		}
	}

	/**
	 * Remove a committed subtree. With `fire`, watches hear of every removed node, children first:
	 * watches on the root of the removal or above it get its path, watches set on nodes inside it
	 * get their own path.
	 */
	private removeCommitted(path: string, parentPerms: Perms | undefined, fire: boolean): void {
		const node = this.tree.lookup(path)!;
		const parent = this.tree.lookup(parentPath(path))!;
		walkPostOrder(path, node, (p, n, up) => {
			this.accounts.removed(p, n);
			this.tree.nodeCount--;
			if (fire) {
				this.watches.fire({
					path: p,
					exact: p !== path,
					perms: n.perms,
					parentPerms: up?.perms ?? parentPerms,
				});
			}
		});
		const name = baseName(path);
		parent.removeChild(name, this.tree.nextGen());
		this.accounts.resized(parent, -(name.length + 1));
	}

	setPerms(caller: Caller, tx: Transaction | undefined, path: string, perms: Perms): void {
		if (!caller.privileged) {
			checkQuota('permissions', this.quota(caller.domid, 'permissions'), perms.length, caller.domid);
		}
		const stamped = this.stamp(perms);
		if (path.charCodeAt(0) === 64) {
			this.setSpecialPerms(caller, path, stamped);
			return;
		}
		const node = this.checked(caller, tx, path, Access.WRITE);
		if (!isOwner(caller, node.perms)) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} does not own ${path}`);
		}
		if (!caller.privileged && stamped[0]!.domid !== node.perms[0]!.domid) {
			throw new XenstoreError('EPERM', `domain ${caller.domid} may not change the owner of ${path}`);
		}
		const oldPerms = node.perms;
		if (tx) {
			tx.setPerms(path, node as TxNode, stamped, this.tree.nextGen());
			tx.addOwned(ownerOf(oldPerms), -1);
			tx.addOwned(ownerOf(stamped), 1);
		} else {
			this.setNodePerms(path, node as Node, stamped);
		}
		this.emit(tx, path, stamped, oldPerms);
	}

	/** Perm entries written now: stamped with the current generation (see isStale). */
	private stamp(perms: Perms): Perms {
		const since = this.tree.nextGen();
		return Object.freeze(perms.map((e) => Object.freeze({ ...e, since })));
	}

	private setSpecialPerms(caller: Caller, path: string, perms: Perms): void {
		const node = this.special(caller, path, Access.WRITE);
		if (!isOwner(caller, node.perms))
			throw new XenstoreError('EACCES', `domain ${caller.domid} does not own ${path}`);
		this.setNodePerms(path, node, perms);
	}

	/**
	 * A node event at `path`, whose perms are now `perms`: delivered now, or at commit when inside a
	 * transaction. The caller has the node at hand; looking it up again cost a write a third of its
	 * time in the store when its parent has hundreds of children.
	 */
	private emit(tx: Transaction | undefined, path: string, perms: Perms, oldPerms?: Perms): void {
		if (tx) {
			tx.queueEvent(path, { exact: false, perms, parentPerms: this.parentPerms(tx, path), oldPerms });
			return;
		}
		// Only for an event someone hears is the parent looked up: a second walk from the root.
		const matched = this.watches.matching(path, false);
		if (matched === undefined) return;
		this.watches.deliver(matched, {
			path,
			exact: false,
			perms,
			parentPerms: this.parentPerms(tx, path),
			oldPerms,
		});
	}

	private parentPerms(tx: Transaction | undefined, path: string): Perms | undefined {
		return path === '/' ? undefined : this.view(tx, parentPath(path))?.perms;
	}

	// ---- domains -------------------------------------------------------------------------------

	/**
	 * A domain has gone: its perm entries everywhere become stale, and the nodes it owns are removed
	 * with their children (watches hear of it), or, with `keepOrphans`, handed to dom0.
	 */
	domainGone(domid: number, keepOrphans: boolean): void {
		if (domid === 0) return;
		this.departed.set(domid, this.tree.nextGen());
		const owned = [...this.accounts.ownedBy(domid)].sort((a, b) => pathDepth(a[1]) - pathDepth(b[1]));
		for (const [node, path] of owned) {
			if (this.tree.lookup(path) !== node) continue;
			if (keepOrphans) {
				const [owner, ...rest] = node.perms;
				this.setNodePerms(path, node, Object.freeze([{ ...owner!, domid: 0 }, ...rest]));
			} else {
				this.removeCommitted(path, this.tree.lookup(parentPath(path))?.perms, true);
			}
		}
	}

	// ---- transactions --------------------------------------------------------------------------

	/**
	 * Live update: rebuild an open transaction from what a stream says it touched (parents first).
	 * What it read or wrote is observed afresh in the restored tree; it then makes its own changes
	 * again. `listed` are nodes whose child list it read; `doomed`, that it already conflicted.
	 */
	restoreTransaction(
		id: number,
		caller: Caller,
		nodes: readonly RestoredTxNode[],
		listed: readonly string[],
		doomed: boolean,
	): Transaction {
		const tx = this.startTransaction(id, caller);
		for (const n of nodes) {
			const parentPerms = this.view(tx, parentPath(n.path))?.perms;
			const view = tx.get(n.path);
			if (n.deleted) {
				if (view === undefined) continue;
				tx.remove(n.path, (p, node) => {
					tx.queueEvent(p, {
						exact: p !== n.path,
						perms: node.perms,
						parentPerms: undefined,
						oldPerms: undefined,
					});
				});
				continue;
			}
			if (!n.written) continue;
			if (view === undefined) {
				tx.create(n.path, n.value, n.perms, this.tree.nextGen());
				tx.addOwned(ownerOf(n.perms), 1);
			} else {
				tx.setValue(n.path, view, n.value, this.tree.nextGen());
				tx.setPerms(n.path, view, n.perms, this.tree.nextGen());
			}
			tx.queueEvent(n.path, { exact: false, perms: n.perms, parentPerms, oldPerms: undefined });
		}
		for (const path of listed) tx.children(path);
		if (doomed) tx.doom();
		return tx;
	}

	startTransaction(id: number, caller: Caller): Transaction {
		const limit = caller.privileged ? 0 : this.quota(caller.domid, 'transaction-nodes');
		return new Transaction(id, caller.domid, this.tree, limit);
	}

	/**
	 * Commit: false (EAGAIN) when anything the transaction read or wrote has changed since,
	 * otherwise replay its changes onto the committed tree, deliver the events it held back, and
	 * true.
	 */
	commit(caller: Caller, tx: Transaction): boolean {
		if (!tx.validate()) return false;
		if (!caller.privileged) {
			const delta = tx.ownedDelta(caller.domid);
			if (delta > 0) {
				checkQuota(
					'nodes',
					this.quota(caller.domid, 'nodes'),
					this.ownedBy(caller.domid) + delta,
					caller.domid,
				);
			}
		}
		for (const change of tx.changes) {
			switch (change.kind) {
				case 'create':
					this.attach(change.path, this.tree.lookup(parentPath(change.path))!, change.value, change.perms);
					break;
				case 'value':
					this.setValue(change.path, this.tree.lookup(change.path)!, change.value);
					break;
				case 'perms':
					this.setNodePerms(change.path, this.tree.lookup(change.path)!, change.perms);
					break;
				case 'remove':
					this.removeCommitted(change.path, undefined, false);
					break;
			}
		}
		// With no watch set, no one hears the events: not even their nodes need looking up.
		if (this.watches.size === 0) return true;
		for (const [path, event] of tx.events) {
			const node = this.tree.lookup(path);
			const parent = path === '/' ? undefined : this.tree.lookup(parentPath(path));
			this.watches.fire({
				path,
				exact: event.exact,
				perms: node?.perms ?? event.perms,
				parentPerms: parent?.perms ?? event.parentPerms,
				oldPerms: event.oldPerms ?? (node ? event.perms : undefined),
			});
		}
		return true;
	}

	/** Every committed node path, parents first (tests and checks). */
	paths(): string[] {
		const out: string[] = [];
		const stack: string[] = ['/'];
		while (stack.length > 0) {
			const p = stack.pop()!;
			out.push(p);
			const children = this.tree.lookup(p)!.children;
			if (children) for (const name of [...children.keys()].reverse()) stack.push(childPath(p, name));
		}
		return out;
	}

	/** Bytes a committed node costs its owner (for reports). */
	nodeBytes(path: string): number {
		const node = this.tree.lookup(path);
		return node ? nodeBytes(path, node) : 0;
	}
}
