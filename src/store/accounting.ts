import type { Node } from './node.ts';
import { ownerOf, type Perms } from './perms.ts';
import { nodeSize } from './quota.ts';

/** What a domain's committed nodes cost: how many it owns and their bytes (`memory` quota). */
export interface Usage {
	nodes: number;
	bytes: number;
}

/** Bytes one node costs its owner: its record as C xenstored sizes it, plus its path. */
export function nodeBytes(path: string, node: Node): number {
	return nodeSize(node.value.length, node.perms.length, node.childBytes) + path.length;
}

/**
 * Per-owner accounts of committed nodes, kept up to date on every change so that a quota check
 * costs one Map lookup. Nodes owned by guests are also indexed by owner, so that a departing
 * domain's nodes are found without walking the whole tree.
 */
export class Accounts {
	private readonly usage = new Map<number, Usage>();
	private readonly guestNodes = new Map<number, Map<Node, string>>();

	get(domid: number): Usage {
		return this.usage.get(domid) ?? { nodes: 0, bytes: 0 };
	}

	/** Every owner with its usage (CONTROL reports, checks). */
	entries(): IterableIterator<[number, Usage]> {
		return this.usage.entries();
	}

	private adjust(domid: number, nodes: number, bytes: number): void {
		const u = this.usage.get(domid);
		if (u === undefined) {
			this.usage.set(domid, { nodes, bytes });
			return;
		}
		u.nodes += nodes;
		u.bytes += bytes;
		if (u.nodes === 0 && u.bytes === 0) this.usage.delete(domid);
	}

	added(path: string, node: Node): void {
		const owner = ownerOf(node.perms);
		this.adjust(owner, 1, nodeBytes(path, node));
		if (owner !== 0) this.index(owner).set(node, path);
	}

	removed(path: string, node: Node): void {
		const owner = ownerOf(node.perms);
		this.adjust(owner, -1, -nodeBytes(path, node));
		if (owner !== 0) this.guestNodes.get(owner)?.delete(node);
	}

	/** The node's size changed by `delta` bytes (value rewritten, child added or removed). */
	resized(node: Node, delta: number): void {
		if (delta !== 0) this.adjust(ownerOf(node.perms), 0, delta);
	}

	/** The node's perms were replaced (`node.perms` is already the new one): move its account. */
	permsChanged(path: string, node: Node, oldPerms: Perms): void {
		const oldOwner = ownerOf(oldPerms);
		const oldBytes = nodeSize(node.value.length, oldPerms.length, node.childBytes) + path.length;
		this.adjust(oldOwner, -1, -oldBytes);
		if (oldOwner !== 0) this.guestNodes.get(oldOwner)?.delete(node);
		this.added(path, node);
	}

	/** Nodes a guest owns, with their paths (for removal when it goes away). */
	ownedBy(domid: number): ReadonlyMap<Node, string> {
		return this.guestNodes.get(domid) ?? new Map();
	}

	private index(domid: number): Map<Node, string> {
		let m = this.guestNodes.get(domid);
		if (m === undefined) {
			m = new Map();
			this.guestNodes.set(domid, m);
		}
		return m;
	}
}
