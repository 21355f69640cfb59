/**
 * The shared page as the ring transport sees it. On a Xen host this is a page granted by the guest
 * and mapped into the daemon, which the guest keeps writing while the daemon reads: nothing read
 * from it can be trusted, and reading a field twice may give two answers. Offsets are those of
 * layout.ts; control words are uint32 in host byte order.
 */
export interface RingMemory {
	readUint32(offset: number): number;
	writeUint32(offset: number, value: number): void;
	/** Copy `length` bytes of the page at `offset` into `target` at `targetStart`. */
	read(offset: number, length: number, target: Buffer, targetStart: number): void;
	/** Copy all of `source` into the page at `offset`. */
	write(offset: number, source: Buffer): void;
	/**
	 * A full memory barrier: accesses before it become visible to the guest before those after it.
	 * The transport places one between reading indices and touching data, and between data and
	 * publishing a new index, as the ring protocol requires on weakly ordered hardware.
	 */
	barrier(): void;
	/** Unmap the page. Called once, when the transport closes; no access follows. */
	close(): void;
}
