/**
 * A set of node paths for checking streams of millions of nodes: each path is kept as a 64-bit
 * hash (two 32-bit halves under a seed chosen per set) in an open-addressing table of typed
 * arrays, 16 bytes per path at most instead of a string and a set entry, and with no string
 * hashing by the engine. Two different paths compare equal only if both halves collide, about
 * one chance in 2^64 per pair (n^2 / 2^65 for n paths: 3e-8 for ten million); the seed is
 * random, so a stream cannot be built to collide.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Two hash seeds in [1, 2^31 - 2] from the kernel's random source. Read directly: node:crypto takes
 * about 15 ms to load, which every start of the daemon and every live update would pay.
 */
export function randomSeeds(): [number, number] {
	const bytes = Buffer.alloc(8);
	const fd = openSync('/dev/urandom', 'r');
	try {
		readSync(fd, bytes, 0, 8, null);
	} finally {
		closeSync(fd);
	}
	return [(bytes.readUInt32LE(0) % 0x7ffffffe) + 1, (bytes.readUInt32LE(4) % 0x7ffffffe) + 1];
}

const MIN_SLOTS = 1024;

export class PathSet {
	private hi: Uint32Array;
	private lo: Uint32Array;
	private count = 0;
	private readonly seedA: number;
	private readonly seedB: number;

	constructor() {
		[this.seedA, this.seedB] = randomSeeds();
		this.hi = new Uint32Array(MIN_SLOTS);
		this.lo = new Uint32Array(MIN_SLOTS);
	}

	get size(): number {
		return this.count;
	}

	/** Add the first `end` characters of `s` (all of it by default); returns false if already there. */
	add(s: string, end = s.length): boolean {
		if ((this.count + 1) * 2 > this.hi.length) this.grow();
		this.hash(s, end);
		const a = this.a;
		const b = this.b;
		const slot = this.find(a, b);
		if (this.hi[slot] !== 0 || this.lo[slot] !== 0) return false;
		this.hi[slot] = a;
		this.lo[slot] = b;
		this.count++;
		return true;
	}

	/** Whether the first `end` characters of `s` (all of it by default) are in the set. */
	has(s: string, end = s.length): boolean {
		this.hash(s, end);
		const slot = this.find(this.a, this.b);
		return this.hi[slot] !== 0 || this.lo[slot] !== 0;
	}

	/** The slot holding (a, b), or the empty slot where it would go. */
	private find(a: number, b: number): number {
		const mask = this.hi.length - 1;
		let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
		for (;;) {
			const h = this.hi[slot]!;
			const l = this.lo[slot]!;
			if ((h === a && l === b) || (h === 0 && l === 0)) return slot;
			slot = (slot + 1) & mask;
		}
	}

	private grow(): void {
		const slots = this.hi.length * 2;
		const oldHi = this.hi;
		const oldLo = this.lo;
		this.hi = new Uint32Array(slots);
		this.lo = new Uint32Array(slots);
		for (let i = 0; i < oldHi.length; i++) {
			const a = oldHi[i]!;
			const b = oldLo[i]!;
			if (a === 0 && b === 0) continue;
			const slot = this.find(a, b);
			this.hi[slot] = a;
			this.lo[slot] = b;
		}
	}

	/** The halves of the last hash computed (kept in fields: no array per call). */
	private a = 0;
	private b = 0;

	/** Two independent 32-bit hashes (murmur3-style mixing) of s[0, end) into a and b; never both 0. */
	private hash(s: string, end: number): void {
		let a = this.seedA ^ end;
		let b = this.seedB ^ Math.imul(end, 0x85ebca6b);
		for (let i = 0; i < end; i++) {
			const c = s.charCodeAt(i);
			a = Math.imul(a ^ c, 0xcc9e2d51);
			a = (a << 15) | (a >>> 17);
			b = Math.imul(b ^ c, 0x1b873593);
			b = (b << 13) | (b >>> 19);
			b = Math.imul(b, 5) + 0xe6546b64;
		}
		a ^= a >>> 16;
		a = Math.imul(a, 0x85ebca6b);
		a ^= a >>> 13;
		a = Math.imul(a, 0xc2b2ae35);
		a ^= a >>> 16;
		b ^= b >>> 16;
		b = Math.imul(b, 0x85ebca6b);
		b ^= b >>> 13;
		b = Math.imul(b, 0xc2b2ae35);
		b ^= b >>> 16;
		this.a = a >>> 0;
		this.b = a === 0 && b === 0 ? 1 : b >>> 0;
	}
}
