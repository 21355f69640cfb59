import { Children } from './children.ts';
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
 * again here; nodes are reached by walking from the root. Kept to three fields, 48 bytes in V8
 * where four took 56: there may be millions, and most are leaves. A leaf keeps its data generation
 * (a small integer, stored in the field itself) where a parent keeps its child list, which then
 * carries the generation instead.
 */
export class Node {
	value: Value;
	perms: Perms;
	/** A leaf's data generation, or the child list of a node that has had children. */
	private genOrChildren: number | Children;

	constructor(value: Value, perms: Perms, gen: number) {
		this.value = value;
		this.perms = perms;
		this.genOrChildren = gen;
	}

	/** Generation of the last change of value or perms, or of creation. */
	get dataGen(): number {
		const held = this.genOrChildren;
		return typeof held === 'number' ? held : held.dataGen;
	}

	set dataGen(gen: number) {
		const held = this.genOrChildren;
		if (typeof held === 'number') this.genOrChildren = gen;
		else held.dataGen = gen;
	}

	/** Created on the first child. */
	get children(): Children | undefined {
		const held = this.genOrChildren;
		return typeof held === 'number' ? undefined : held;
	}

	/** Generation of the last change of the child list; 0 while there never was a child. */
	get childGen(): number {
		const held = this.genOrChildren;
		return typeof held === 'number' ? 0 : held.gen;
	}

	/** Bytes the child list takes on the wire: each name plus its NUL. */
	get childBytes(): number {
		const held = this.genOrChildren;
		return typeof held === 'number' ? 0 : held.bytes;
	}

	/** The generation count DIRECTORY_PART reports: it changes whenever the node does. */
	get generation(): number {
		const held = this.genOrChildren;
		return typeof held === 'number' ? held : Math.max(held.dataGen, held.gen);
	}

	get childCount(): number {
		const held = this.genOrChildren;
		return typeof held === 'number' ? 0 : held.size;
	}

	child(name: string): Node | undefined {
		const held = this.genOrChildren;
		return typeof held === 'number' ? undefined : held.get(name);
	}

	addChild(name: string, node: Node, gen: number): void {
		let held = this.genOrChildren;
		if (typeof held === 'number') {
			held = new Children(gen, held);
			this.genOrChildren = held;
		}
		held.set(name, node);
		held.bytes += name.length + 1;
		held.gen = gen;
	}

	removeChild(name: string, gen: number): void {
		const held = this.genOrChildren;
		if (typeof held !== 'number' && held.delete(name)) {
			held.bytes -= name.length + 1;
			held.gen = gen;
		}
	}
}
