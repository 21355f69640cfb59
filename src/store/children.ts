import type { Node } from './node.ts';

/**
 * Child lists longer than this leave the Map for a ChildTable. Below it the Map is smaller and
 * its interned names are shared between parents (`device`, `backend`, `0` recur everywhere).
 */
export const TABLE_ABOVE = 256;

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
 * A long child list: its names' bytes end to end in one buffer, its nodes in an array, both in
 * creation order, found through an open-addressing index of positions. Names are not kept as
 * strings: a string costs 24 bytes or more and a slot that points to it 8 more, where its bytes
 * here cost their length and an offset 4. A Map would also intern every name, and V8's table of
 * interned strings costs about 20 bytes per distinct name outside the heap and never shrinks.
 * Names are strings again only where one is asked for (a listing, a walk that takes the child).
 *
 * A removed child leaves a hole (its node undefined) that iteration skips; holes go when the
 * arrays are rebuilt: when the index would be more than half full, or when seven eighths of the
 * arrays are holes, so the cost stays amortised constant per change and a list that shrank does
 * not keep the memory it once took. An iteration in progress sees the entries there were when it
 * began, and their removal until a rebuild (tableEntries); walks that run across changes copy each
 * list and look at generations (tree.ts).
 */
class ChildTable {
	/** Names' bytes (latin1, as the store's strings), entry i's from starts[i] to starts[i + 1]. */
	bytes: Buffer;
	/** Where each entry's name starts in `bytes`; room for one more than the entries the index takes. */
	starts: Int32Array;
	/** The entries' nodes, made as long as the index lets the table grow: appending copies nothing. */
	nodes: Array<Node | undefined>;
	/** Entries appended since the last rebuild, holes included. */
	count = 0;
	live = 0;
	/** Iterations begun and not ended: while one runs, it may hold the buffers growth replaces. */
	iterating = 0;
	private index: Int32Array;
	private mask: number;

	constructor(capacity: number, nameBytes: number) {
		let slots = 16;
		while (slots < capacity * 2) slots *= 2;
		this.index = new Int32Array(slots).fill(EMPTY_SLOT);
		this.mask = slots - 1;
		this.bytes = Buffer.allocUnsafeSlow(Math.max(64, nameBytes));
		this.starts = new Int32Array(slots / 2 + 1);
		this.nodes = new Array(slots / 2);
	}

	/** Entry `at`'s name, as a string. */
	nameAt(at: number): string {
		return this.bytes.toString('latin1', this.starts[at]!, this.starts[at + 1]!);
	}

	private nameIs(at: number, name: string): boolean {
		const { bytes, starts } = this;
		const from = starts[at]!;
		if (starts[at + 1]! - from !== name.length) return false;
		for (let i = 0; i < name.length; i++) if (bytes[from + i] !== name.charCodeAt(i)) return false;
		return true;
	}

	private position(name: string): number {
		const { index, nodes, mask } = this;
		for (let slot = hashName(name) & mask; ; slot = (slot + 1) & mask) {
			const at = index[slot]!;
			if (at === EMPTY_SLOT || (nodes[at] !== undefined && this.nameIs(at, name))) return at;
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
		// Half the index is also the room `nodes` and `starts` were made with.
		if ((this.count + 1) * 2 > this.index.length) this.rebuild();
		this.insert(name, node);
		this.live++;
	}

	delete(name: string): boolean {
		const at = this.position(name);
		if (at === EMPTY_SLOT) return false;
		// The index still leads here; a hole never matches, so lookups go on past it.
		this.nodes[at] = undefined;
		this.live--;
		// A list that shrank to an eighth of its arrays gives the rest back.
		if (this.live * 8 < this.count && this.count > 8 * TABLE_ABOVE) this.rebuild();
		return true;
	}

	/** Append an entry: its name's bytes, its start, its slot in the index. */
	private insert(name: string, node: Node): void {
		const { count } = this;
		const from = this.starts[count]!;
		const to = from + name.length;
		if (to > this.bytes.length) {
			const grown = Buffer.allocUnsafeSlow(Math.max(to, this.bytes.length * 2));
			this.bytes.copy(grown, 0, 0, from);
			this.outgrow(this.bytes);
			this.bytes = grown;
		}
		this.bytes.write(name, from, 'latin1');
		this.starts[count + 1] = to;
		const { index, mask } = this;
		let slot = hashName(name) & mask;
		while (index[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
		index[slot] = count;
		this.nodes[count] = node;
		this.count = count + 1;
	}

	/**
	 * Give an outgrown buffer's memory back now, unless an iteration may still read it. Left to the
	 * collector, a long list's outgrown buffers stay resident until a full collection: with 200,000
	 * children of one node, about a quarter of what the list took as its last child was written.
	 */
	private outgrow(old: Buffer | Int32Array): void {
		if (this.iterating === 0) release(old);
	}

	/** See Children.namesFrom; the names before are passed over by their lengths alone. */
	namesFrom(offset: number, take: (name: string, pos: number) => boolean): void {
		const { nodes, starts, count } = this;
		let pos = 0;
		let at = 0;
		for (; at < count; at++) {
			if (nodes[at] === undefined) continue;
			const end = pos + starts[at + 1]! - starts[at]! + 1;
			if (end > offset) break;
			pos = end;
		}
		for (; at < count; at++) {
			if (nodes[at] === undefined) continue;
			const name = this.nameAt(at);
			if (!take(name, pos)) return;
			pos += name.length + 1;
		}
	}

	/**
	 * New arrays without the holes, and an index at most a third full: at least a sixth of it is
	 * then filled before the next rebuild (amortised constant), and it is never more than six times
	 * the entries (a quarter, rounded up to a power of two, made 200,000 children take 1,048,576
	 * slots: 21 bytes each). `nodes` and `starts` get room for every entry until the next rebuild.
	 */
	private rebuild(): void {
		const { bytes, starts, nodes, count, index } = this;
		let slots = 16;
		while (slots < (this.live + 1) * 3) slots *= 2;
		this.index = new Int32Array(slots).fill(EMPTY_SLOT);
		this.mask = slots - 1;
		let liveBytes = 0;
		for (let i = 0; i < count; i++) if (nodes[i] !== undefined) liveBytes += starts[i + 1]! - starts[i]!;
		this.bytes = Buffer.allocUnsafeSlow(Math.max(64, liveBytes * 2));
		this.starts = new Int32Array(slots / 2 + 1);
		this.nodes = new Array(slots / 2);
		this.count = 0;
		for (let i = 0; i < count; i++) {
			const node = nodes[i];
			if (node !== undefined) this.insert(bytes.toString('latin1', starts[i]!, starts[i + 1]!), node);
		}
		// No iteration reads the index.
		release(index);
		this.outgrow(bytes);
		this.outgrow(starts);
	}
}

/** Free a buffer's memory at once (it is left empty): nothing may read it after. */
function release(buffer: Buffer | Int32Array): void {
	// Both are made here over an ArrayBuffer of their own, never a shared one.
	(buffer.buffer as ArrayBuffer).transfer(0);
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
			let nameBytes = name.length;
			for (const childName of super.keys()) nameBytes += childName.length;
			const moved = new ChildTable(super.size + 1, nameBytes * 2);
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
		const { nodes, count } = table;
		for (let i = 0; i < count; i++) {
			const node = nodes[i];
			if (node !== undefined) visit(node, table.nameAt(i), this);
		}
	}

	/**
	 * Append the children `wanted` takes, and their names, to `names` and `nodes`, in order. Unlike
	 * forEach, a table makes no string for a child not taken: a walk for what changed looks at every
	 * child and takes few.
	 */
	select(wanted: (node: Node) => boolean, names: string[], nodes: Node[]): void {
		const { table } = this;
		if (table === undefined) {
			super.forEach((node, name) => {
				if (wanted(node)) {
					names.push(name);
					nodes.push(node);
				}
			});
			return;
		}
		const { nodes: held, count } = table;
		for (let i = 0; i < count; i++) {
			const node = held[i];
			if (node !== undefined && wanted(node)) {
				names.push(table.nameAt(i));
				nodes.push(node);
			}
		}
	}

	/**
	 * DIRECTORY_PART's walk: each name from the one that byte `offset` of the listing (each name and
	 * a NUL) falls in, with where it starts there, until `take` returns false. A table passes over
	 * the names before without making strings of them.
	 */
	namesFrom(offset: number, take: (name: string, pos: number) => boolean): void {
		const { table } = this;
		if (table !== undefined) {
			table.namesFrom(offset, take);
			return;
		}
		namesFromList(super.keys(), offset, take);
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

/** Children.namesFrom over names already strings (a short list's, or a transaction's view). */
export function namesFromList(
	names: Iterable<string>,
	offset: number,
	take: (name: string, pos: number) => boolean,
): void {
	let pos = 0;
	for (const name of names) {
		if (pos + name.length + 1 > offset && !take(name, pos)) return;
		pos += name.length + 1;
	}
}

/**
 * An iteration keeps the entries there were when it began, and sees their removal until the table
 * is rebuilt (see ChildTable). What it captures stays valid: a name's bytes are never overwritten,
 * growth and rebuilds copy them into new buffers.
 */
function* tableEntries(table: ChildTable): MapIterator<[string, Node]> {
	const { nodes, bytes, starts, count } = table;
	// Ended by its last entry, or by the loop that left early (a for-of calls return).
	table.iterating++;
	try {
		for (let i = 0; i < count; i++) {
			const node = nodes[i];
			if (node !== undefined) yield [bytes.toString('latin1', starts[i]!, starts[i + 1]!), node];
		}
	} finally {
		table.iterating--;
	}
}

function* tableKeys(table: ChildTable): MapIterator<string> {
	for (const [name] of tableEntries(table)) yield name;
}

function* tableValues(table: ChildTable): MapIterator<Node> {
	const { nodes, count } = table;
	for (let i = 0; i < count; i++) {
		const node = nodes[i];
		if (node !== undefined) yield node;
	}
}
