import type { Perms } from './perms.ts';

/**
 * A node's value: its bytes as a one-byte (latin1) string, one character per byte, so every byte
 * 0-255 survives unchanged. V8 keeps such a string byte for byte with 24 bytes of overhead, where a
 * Buffer view costs over 100: with millions of nodes that is most of the store's memory. A value
 * is copied once on the way in (from the request) and once on the way out (into the reply frame),
 * exactly as a Buffer would be.
 */
export type Value = string;

export const EMPTY_VALUE: Value = '';

/** A value from request bytes (copied: the request buffer is reused). */
export function valueFromBytes(bytes: Buffer): Value {
	return bytes.toString('latin1');
}

/** A value's bytes, for a migration stream. */
export function valueBytes(value: Value): Buffer {
	return Buffer.from(value, 'latin1');
}

/**
 * A node's child list: its children by name in creation order (the order DIRECTORY reports), with
 * what leaves need never pay for. Only nodes that have had children carry one, and it stays (empty)
 * once the last child goes, so that its generation keeps moving forward.
 */
export class Children extends Map<string, Node> {
	/** Bytes the child list takes on the wire: each name plus its NUL. */
	bytes = 0;
	/** Generation of the last change of the list. */
	gen: number;

	constructor(gen: number) {
		super();
		this.gen = gen;
	}
}

/**
 * A committed node. Its name is the key under which its parent holds it, so it is not stored
 * again here; nodes are reached by walking from the root. Kept to four fields: there may be
 * millions, and most are leaves.
 */
export class Node {
	value: Value;
	perms: Perms;
	/** Generation of the last change of value or perms, or of creation. */
	dataGen: number;
	/** Created on the first child. */
	children: Children | undefined;

	constructor(value: Value, perms: Perms, gen: number) {
		this.value = value;
		this.perms = perms;
		this.dataGen = gen;
		this.children = undefined;
	}

	/** Generation of the last change of the child list; 0 while there never was a child. */
	get childGen(): number {
		return this.children === undefined ? 0 : this.children.gen;
	}

	/** Bytes the child list takes on the wire: each name plus its NUL. */
	get childBytes(): number {
		return this.children === undefined ? 0 : this.children.bytes;
	}

	/** The generation count DIRECTORY_PART reports: it changes whenever the node does. */
	get generation(): number {
		return Math.max(this.dataGen, this.childGen);
	}

	get childCount(): number {
		return this.children === undefined ? 0 : this.children.size;
	}

	child(name: string): Node | undefined {
		return this.children?.get(name);
	}

	addChild(name: string, node: Node, gen: number): void {
		let children = this.children;
		if (children === undefined) {
			children = new Children(gen);
			this.children = children;
		}
		children.set(name, node);
		children.bytes += name.length + 1;
		children.gen = gen;
	}

	removeChild(name: string, gen: number): void {
		const children = this.children;
		if (children?.delete(name)) {
			children.bytes -= name.length + 1;
			children.gen = gen;
		}
	}
}
