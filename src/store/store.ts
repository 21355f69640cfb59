import { XenstoreError } from '../protocol/errors.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { DomainTable } from './domains.ts';
import { EMPTY_VALUE, Node } from './node.ts';
import { baseName, childPath, parentPath } from './path.ts';
import {
	Access,
	type AccessBits,
	accessFor,
	type Caller,
	DEFAULT_PERMS,
	inheritedPerms,
	isOwner,
	ownerOf,
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
import { conflict, Transaction, type TxNode } from './transaction.ts';
import { Tree, walkPostOrder } from './tree.ts';
import { type NodeEvent, WatchIndex } from './watches.ts';

export interface StoreOptions {
	/** Global quotas: the defaults of every domain. */
	quotas?: Partial<Quotas>;
	/** Server features a new domain gets. */
	features?: number;
}

/** A node as an operation sees it, committed or inside a transaction. */
interface NodeView {
	value: Buffer;
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
	readonly watches = new WatchIndex();
	/** Global quotas; a domain's own values override them. */
	readonly quotas: Quotas;
	/** Soft quotas only warn in the log (C xenstored has one, for memory). */
	readonly softQuotas: { memory: number } = { ...DEFAULT_SOFT_QUOTAS };
	/** Known domains: introduction state, features and their own quota values. */
	readonly domains: DomainTable;
	/** Committed nodes per owning domain (the `nodes` quota), special nodes included, like C. */
	private readonly owned = new Map<number, number>();

	constructor(options: StoreOptions = {}) {
		this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
		this.domains = new DomainTable(options.features ?? 0);
		this.tree = new Tree();
		const tool = this.attach(this.tree.root, 'tool', EMPTY_VALUE, DEFAULT_PERMS);
		this.attach(tool, 'xenstored', EMPTY_VALUE, DEFAULT_PERMS);
		this.addOwned(0, 2 + this.tree.special.size);
	}

	/** The quota `name` that applies to `domid`. */
	quota(domid: number, name: QuotaName): number {
		return this.domains.get(domid)?.quotas[name] ?? this.quotas[name];
	}

	ownedBy(domid: number): number {
		return this.owned.get(domid) ?? 0;
	}

	private addOwned(domid: number, delta: number): void {
		const n = (this.owned.get(domid) ?? 0) + delta;
		if (n === 0) this.owned.delete(domid);
		else this.owned.set(domid, n);
	}

	/** Every domain that owns nodes, with its count (CONTROL quota reports, checks). */
	ownership(): ReadonlyMap<number, number> {
		return this.owned;
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
		const node = this.view(tx, path);
		if (node !== undefined && (accessFor(caller, node.perms) & need) === need) return node;
		const error = node === undefined ? 'ENOENT' : 'EACCES';
		if (!caller.privileged && node === undefined && !this.ancestorGrants(caller, tx, path, need)) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} may not access ${path}`);
		}
		throw new XenstoreError(
			error,
			error === 'ENOENT' ? `${path} does not exist` : `domain ${caller.domid} may not access ${path}`,
		);
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
			if (node !== undefined) return (accessFor(caller, node.perms) & need) !== 0;
		}
		return false;
	}

	read(caller: Caller, tx: Transaction | undefined, path: string): Buffer {
		return this.checked(caller, tx, path, Access.READ).value;
	}

	getPerms(caller: Caller, tx: Transaction | undefined, path: string): Perms {
		if (path.charCodeAt(0) === 64) return this.special(caller, path, Access.READ).perms;
		return this.checked(caller, tx, path, Access.READ).perms;
	}

	/** A special `@` node, if the caller has `need` on it: they live outside transactions. */
	private special(caller: Caller, path: string, need: AccessBits): Node {
		const node = this.tree.special.get(path);
		if (node === undefined) throw new XenstoreError('ENOENT', `${path} is not a special node`);
		if ((accessFor(caller, node.perms) & need) !== need) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} may not access ${path}`);
		}
		return node;
	}

	/** Child names of a node, in creation order. */
	directory(caller: Caller, tx: Transaction | undefined, path: string): string[] {
		this.checked(caller, tx, path, Access.READ);
		if (tx) return tx.children(path);
		const children = this.tree.lookup(path)!.children;
		return children === undefined ? [] : [...children.keys()];
	}

	/** Bytes DIRECTORY's reply takes (names with their NULs), to refuse one over the payload limit. */
	directorySize(caller: Caller, tx: Transaction | undefined, path: string): number {
		this.checked(caller, tx, path, Access.READ);
		if (tx) return tx.children(path).reduce((n, name) => n + name.length + 1, 0);
		return this.tree.lookup(path)!.childBytes;
	}

	/**
	 * DIRECTORY_PART: the child list from byte `offset`, as much as fits in one reply after the
	 * generation count, cut at a name boundary. An offset inside a name starts mid-name, as in C.
	 */
	directoryPart(caller: Caller, tx: Transaction | undefined, path: string, offset: number): DirectoryPart {
		const node = this.checked(caller, tx, path, Access.READ);
		const generation = tx ? (node as TxNode).generation : (node as Node).generation;
		const names = tx ? tx.children(path) : (node as Node).children?.keys();
		const room = PAYLOAD_MAX - (String(generation).length + 1) - 1;
		const parts: Buffer[] = [];
		let pos = 0;
		let used = 0;
		let complete = true;
		if (names !== undefined) {
			for (const name of names) {
				const end = pos + name.length + 1;
				if (end <= offset) {
					pos = end;
					continue;
				}
				const entry = `${name}\0`.slice(Math.max(0, offset - pos));
				if (used + entry.length - 1 >= room) {
					complete = false;
					break;
				}
				parts.push(Buffer.from(entry, 'latin1'));
				used += entry.length;
				pos = end;
			}
		}
		return { generation, names: Buffer.concat(parts, used), complete };
	}

	// ---- writing -------------------------------------------------------------------------------

	write(caller: Caller, tx: Transaction | undefined, path: string, value: Buffer): void {
		const node = this.writable(caller, tx, path);
		if (node !== undefined) {
			this.checkNodeSize(caller, value.length, node.perms.length, tx ? 0 : (node as Node).childBytes);
			if (tx) tx.setValue(path, node as TxNode, value, this.tree.nextGen());
			else this.setValue(node as Node, value);
		} else {
			this.create(caller, tx, path, value);
		}
		this.emit(tx, path, false);
	}

	mkdir(caller: Caller, tx: Transaction | undefined, path: string): void {
		if (this.writable(caller, tx, path) !== undefined) return;
		this.create(caller, tx, path, EMPTY_VALUE);
		this.emit(tx, path, false);
	}

	/** The node if it exists and the caller may write it; undefined if it is missing but may be created. */
	private writable(caller: Caller, tx: Transaction | undefined, path: string): NodeView | undefined {
		try {
			return this.checked(caller, tx, path, Access.WRITE);
		} catch (e) {
			if (e instanceof XenstoreError && e.code === 'ENOENT') return undefined;
			throw e;
		}
	}

	private checkNodeSize(caller: Caller, valueLength: number, permCount: number, childBytes: number): void {
		if (caller.privileged) return;
		const limit = this.quota(caller.domid, 'node-size');
		checkQuota('node-size', limit, nodeSize(valueLength, permCount, childBytes) + 1, caller.domid);
	}

	/** Create `path` with `value`, and any missing parents empty, each inheriting its parent's perms. */
	private create(caller: Caller, tx: Transaction | undefined, path: string, value: Buffer): void {
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
			const wanted = this.ownedBy(caller.domid) + (tx?.ownedDelta.get(caller.domid) ?? 0) + missing.length;
			checkQuota('nodes', this.quota(caller.domid, 'nodes'), wanted, caller.domid);
			this.checkNodeSize(caller, value.length, perms.length + 1, 0);
		}
		for (let i = missing.length - 1; i >= 0; i--) {
			const p = missing[i]!;
			perms = inheritedPerms(caller, perms);
			const v = i === 0 ? value : EMPTY_VALUE;
			if (tx) {
				tx.create(p, v, perms, this.tree.nextGen());
				tx.addOwned(ownerOf(perms), 1);
			} else {
				this.attach(this.tree.lookup(parentPath(p))!, baseName(p), v, perms);
			}
		}
	}

	/** Add a committed child node, with its accounting. */
	private attach(parent: Node, name: string, value: Buffer, perms: Perms): Node {
		const gen = this.tree.nextGen();
		const node = new Node(value, perms, gen);
		parent.addChild(name, node, gen);
		this.tree.nodeCount++;
		this.addOwned(ownerOf(perms), 1);
		return node;
	}

	private setValue(node: Node, value: Buffer): void {
		node.value = value;
		node.dataGen = this.tree.nextGen();
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
			this.addOwned(ownerOf(n.perms), -1);
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
		parent.removeChild(baseName(path), this.tree.nextGen());
	}

	setPerms(caller: Caller, tx: Transaction | undefined, path: string, perms: Perms): void {
		if (!caller.privileged) {
			checkQuota('permissions', this.quota(caller.domid, 'permissions'), perms.length, caller.domid);
		}
		if (path.charCodeAt(0) === 64) {
			this.setSpecialPerms(caller, path, perms);
			return;
		}
		const node = this.checked(caller, tx, path, Access.WRITE);
		if (!isOwner(caller, node.perms)) {
			throw new XenstoreError('EACCES', `domain ${caller.domid} does not own ${path}`);
		}
		if (!caller.privileged && perms[0]!.domid !== node.perms[0]!.domid) {
			throw new XenstoreError('EPERM', `domain ${caller.domid} may not change the owner of ${path}`);
		}
		const oldPerms = node.perms;
		if (tx) {
			tx.setPerms(path, node as TxNode, perms, this.tree.nextGen());
			tx.addOwned(ownerOf(oldPerms), -1);
			tx.addOwned(ownerOf(perms), 1);
		} else {
			const committed = node as Node;
			committed.perms = perms;
			committed.dataGen = this.tree.nextGen();
			this.addOwned(ownerOf(oldPerms), -1);
			this.addOwned(ownerOf(perms), 1);
		}
		this.emit(tx, path, false, oldPerms);
	}

	private setSpecialPerms(caller: Caller, path: string, perms: Perms): void {
		const node = this.special(caller, path, Access.WRITE);
		if (!isOwner(caller, node.perms))
			throw new XenstoreError('EACCES', `domain ${caller.domid} does not own ${path}`);
		this.addOwned(ownerOf(node.perms), -1);
		this.addOwned(ownerOf(perms), 1);
		node.perms = perms;
		node.dataGen = this.tree.nextGen();
	}

	/** A node event at `path`: delivered now, or at commit when inside a transaction. */
	private emit(tx: Transaction | undefined, path: string, exact: boolean, oldPerms?: Perms): void {
		const node = this.view(tx, path);
		const parentPerms = path === '/' ? undefined : this.view(tx, parentPath(path))?.perms;
		if (tx) {
			tx.queueEvent(path, { exact, perms: node?.perms, parentPerms, oldPerms });
			return;
		}
		const event: NodeEvent = { path, exact, perms: node?.perms, parentPerms, oldPerms };
		this.watches.fire(event);
	}

	// ---- transactions --------------------------------------------------------------------------

	startTransaction(id: number, domid: number): Transaction {
		return new Transaction(id, domid, this.tree);
	}

	/**
	 * Commit: EAGAIN when anything the transaction read or wrote has changed since, otherwise replay
	 * its changes onto the committed tree and deliver the events it held back.
	 */
	commit(caller: Caller, tx: Transaction): void {
		if (!tx.validate()) throw conflict(tx);
		if (!caller.privileged) {
			for (const [domid, delta] of tx.ownedDelta) {
				if (delta > 0 && domid === caller.domid) {
					checkQuota('nodes', this.quota(domid, 'nodes'), this.ownedBy(domid) + delta, domid);
				}
			}
		}
		for (const change of tx.changes) {
			switch (change.kind) {
				case 'create':
					this.attach(
						this.tree.lookup(parentPath(change.path))!,
						baseName(change.path),
						change.value,
						change.perms,
					);
					break;
				case 'value':
					this.setValue(this.tree.lookup(change.path)!, change.value);
					break;
				case 'perms': {
					const node = this.tree.lookup(change.path)!;
					this.addOwned(ownerOf(node.perms), -1);
					this.addOwned(ownerOf(change.perms), 1);
					node.perms = change.perms;
					node.dataGen = this.tree.nextGen();
					break;
				}
				case 'remove':
					this.removeCommitted(change.path, undefined, false);
					break;
			}
		}
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
}
