import type { Node } from './node.ts';

/**
 * Child lists longer than this leave the Map for a ChildTable. Below it the Map is smaller and
 * its interned names are shared between parents (`device`, `backend`, `0` recur everywhere).
 */
export const TABLE_ABOVE = 256;

/** A name as a string of its own: a slice of 13 or more characters would keep its whole path. */
function ownCopy(name: string): string {
	return name.length < 13 ? name : Buffer.from(name, 'latin1').toString('latin1');
}

/**
 * The seed of the tables' hash. Fixed until the daemon sets a random one at start (seedChildHash):
 * with a seed a client cannot know, it cannot choose names that all land in one place and make
 * every lookup in a list walk all of it. The store itself stays deterministic.
 */
let seed = 0x9747b28c;

export function seedChildHash(value: number): void {
	seed = value | 0;
}

/** A 32-bit hash of the name's characters under the seed (MurmurHash3's mixing). */
function hashName(name: string): number {
	let h = seed ^ name.length;
	for (let i = 0; i < name.length; i++) {
		h = Math.imul(h ^ name.charCodeAt(i), 0xcc9e2d51);
		h = (h << 15) | (h >>> 17);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	return (h ^ (h >>> 16)) >>> 0;
}

const EMPTY_SLOT = -1;

/**
 * A long child list: names and nodes in two arrays in creation order, found through an
 * open-addressing index of positions. A Map would intern every name, and V8's table of interned
 * strings costs about 20 bytes per distinct name outside the heap and never shrinks; a Map entry
 * also takes about 16 bytes more than one here. Measured in the store with 200,000 children of one
 * node: 101 bytes of heap per child, node and name included, against 117 and 19 outside the heap.
 *
 * A removed child leaves a hole (its name undefined) that iteration skips; holes go when the
 * arrays are rebuilt: when the index would be more than half full, or when seven eighths of the
 * arrays are holes, so the cost stays amortised constant per change and a list that shrank does
 * not keep the memory it once took. An iteration in progress keeps the arrays it began with: after
 * a rebuild it no longer sees later changes (walks that run across changes look at generations).
 */
class ChildTable {
	names: Array<string | undefined> = [];
	nodes: Array<Node | undefined> = [];
	live = 0;
	private index: Int32Array;
	private mask: number;

	constructor(capacity: number) {
		let slots = 16;
		while (slots < capacity * 2) slots *= 2;
		this.index = new Int32Array(slots).fill(EMPTY_SLOT);
		this.mask = slots - 1;
	}

	private position(name: string): number {
		const { index, names, mask } = this;
		for (let slot = hashName(name) & mask; ; slot = (slot + 1) & mask) {
			const at = index[slot]!;
			if (at === EMPTY_SLOT || names[at] === name) return at;
		}
	}

	get(name: string): Node | undefined {
		const at = this.position(name);
		return at === EMPTY_SLOT ? undefined : this.nodes[at];
	}

	set(name: string, node: Node): void {
		const at = this.position(name);
		if (at !== EMPTY_SLOT) {
			this.nodes[at] = node;
			return;
		}
		// Holes count against the index's load too: rebuild (and grow if need be) at half full.
		if ((this.names.length + 1) * 2 > this.index.length) this.rebuild();
		this.insert(ownCopy(name), node);
		this.live++;
	}

	delete(name: string): boolean {
		const at = this.position(name);
		if (at === EMPTY_SLOT) return false;
		// The index still leads here; a name that is undefined never matches, so lookups go on.
		this.names[at] = undefined;
		this.nodes[at] = undefined;
		this.live--;
		// A list that shrank to an eighth of its arrays gives the rest back.
		if (this.live * 8 < this.names.length && this.names.length > 8 * TABLE_ABOVE) this.rebuild();
		return true;
	}

	private insert(name: string, node: Node): void {
		const { index, mask } = this;
		let slot = hashName(name) & mask;
		while (index[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
		index[slot] = this.names.length;
		this.names.push(name);
		this.nodes.push(node);
	}

	/** New arrays without the holes, and an index at most a quarter full. */
	private rebuild(): void {
		const { names, nodes } = this;
		let slots = 16;
		while (slots < (this.live + 1) * 4) slots *= 2;
		this.index = new Int32Array(slots).fill(EMPTY_SLOT);
		this.mask = slots - 1;
		this.names = [];
		this.nodes = [];
		for (let i = 0; i < names.length; i++) {
			const name = names[i];
			if (name !== undefined) this.insert(name, nodes[i]!);
		}
	}
}

/**
 * A node's child list: its children by name in creation order (the order DIRECTORY reports), with
 * what leaves need never pay for. Only nodes that have had children carry one, and it stays (empty)
 * once the last child goes, so that its generation keeps moving forward.
 *
 * A Map while short; past TABLE_ABOVE children its entries move to a ChildTable, and the Map it
 * is stays empty. Only the Map methods the store uses are given for both forms. An iteration is
 * not meant to outlive a change of its list: the Map's iterators end when it becomes a table, and
 * the walks that run across changes copy each list they hold (tree.ts).
 */
export class Children extends Map<string, Node> {
	/** Bytes the child list takes on the wire: each name plus its NUL. */
	bytes = 0;
	/** Generation of the last change of the list. */
	gen: number;
	/** The owning node's data generation, kept here once it has children (see Node). */
	dataGen: number;
	private table: ChildTable | undefined = undefined;

	constructor(gen: number, dataGen: number) {
		super();
		this.gen = gen;
		this.dataGen = dataGen;
	}

	override get size(): number {
		return this.table === undefined ? super.size : this.table.live;
	}

	override get(name: string): Node | undefined {
		return this.table === undefined ? super.get(name) : this.table.get(name);
	}

	override has(name: string): boolean {
		return this.get(name) !== undefined;
	}

	override set(name: string, node: Node): this {
		const { table } = this;
		if (table !== undefined) {
			table.set(name, node);
		} else if (super.size < TABLE_ABOVE || super.has(name)) {
			super.set(name, node);
		} else {
			const moved = new ChildTable(super.size + 1);
			super.forEach((child, childName) => {
				moved.set(childName, child);
			});
			moved.set(name, node);
			super.clear();
			this.table = moved;
		}
		return this;
	}

	override delete(name: string): boolean {
		return this.table === undefined ? super.delete(name) : this.table.delete(name);
	}

	/** Empty, and a Map again. */
	override clear(): void {
		this.table = undefined;
		super.clear();
	}

	override forEach(visit: (node: Node, name: string, list: Map<string, Node>) => void): void {
		const { table } = this;
		if (table === undefined) {
			super.forEach(visit);
			return;
		}
		const { names, nodes } = table;
		for (let i = 0; i < names.length; i++) {
			const name = names[i];
			if (name !== undefined) visit(nodes[i]!, name, this);
		}
	}

	// A short list hands out the Map's own iterators; only a table needs generators.
	override entries(): MapIterator<[string, Node]> {
		return this.table === undefined ? super.entries() : tableEntries(this.table);
	}

	override keys(): MapIterator<string> {
		return this.table === undefined ? super.keys() : tableKeys(this.table);
	}

	override values(): MapIterator<Node> {
		return this.table === undefined ? super.values() : tableValues(this.table);
	}

	override [Symbol.iterator](): MapIterator<[string, Node]> {
		return this.entries();
	}
}

// An iteration keeps the arrays it began with (see ChildTable).
function* tableEntries(table: ChildTable): MapIterator<[string, Node]> {
	const { names, nodes } = table;
	for (let i = 0; i < names.length; i++) {
		const name = names[i];
		if (name !== undefined) yield [name, nodes[i]!];
	}
}

function* tableKeys(table: ChildTable): MapIterator<string> {
	const { names } = table;
	for (let i = 0; i < names.length; i++) {
		const name = names[i];
		if (name !== undefined) yield name;
	}
}

function* tableValues(table: ChildTable): MapIterator<Node> {
	for (const [, node] of tableEntries(table)) yield node;
}
