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
 * A committed node. Its name is the key under which its parent holds it, so it is not stored
 * again here; nodes are reached by walking from the root. Kept small: there may be millions.
 */
export class Node {
	value: Value;
	perms: Perms;
	/** Children in creation order (the order DIRECTORY reports), created on first use. */
	children: Map<string, Node> | undefined;
	/** Bytes the child list takes on the wire: each name plus its NUL. */
	childBytes: number;
	/** Generation of the last change of value or perms, or of creation. */
	dataGen: number;
	/** Generation of the last change of the child list, or of creation. */
	childGen: number;

	constructor(value: Value, perms: Perms, gen: number) {
		this.value = value;
		this.perms = perms;
		this.children = undefined;
		this.childBytes = 0;
		this.dataGen = gen;
		this.childGen = gen;
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
		if (this.children === undefined) this.children = new Map();
		this.children.set(name, node);
		this.childBytes += name.length + 1;
		this.childGen = gen;
	}

	removeChild(name: string, gen: number): void {
		if (this.children?.delete(name)) {
			this.childBytes -= name.length + 1;
			this.childGen = gen;
			if (this.children.size === 0) this.children = undefined;
		}
	}
}
