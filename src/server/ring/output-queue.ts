/**
 * Bytes accepted for the guest that do not fit in the ring yet, in order. Buffers are kept as
 * given, not copied: the writer hands them over.
 */
export class OutputQueue {
	private chunks: Buffer[] = [];
	private head = 0;
	/** Bytes already taken from the front of chunks[head]. */
	private headOffset = 0;
	private bytes = 0;

	get length(): number {
		return this.bytes;
	}

	push(chunk: Buffer): void {
		if (chunk.length === 0) return;
		this.chunks.push(chunk);
		this.bytes += chunk.length;
	}

	/**
	 * Remove up to `max` bytes from the front and hand them to `sink` in order, as views of the
	 * queued buffers. Returns how many were taken.
	 */
	take(max: number, sink: (piece: Buffer) => void): number {
		let taken = 0;
		while (taken < max && this.head < this.chunks.length) {
			const chunk = this.chunks[this.head]!;
			const n = Math.min(max - taken, chunk.length - this.headOffset);
			sink(chunk.subarray(this.headOffset, this.headOffset + n));
			taken += n;
			this.headOffset += n;
			if (this.headOffset === chunk.length) {
				this.head++;
				this.headOffset = 0;
			}
		}
		this.bytes -= taken;
		this.compact();
		return taken;
	}

	/** Everything still queued, as one buffer. */
	peekAll(): Buffer {
		const pieces = this.chunks.slice(this.head);
		if (pieces.length > 0) pieces[0] = pieces[0]!.subarray(this.headOffset);
		return Buffer.concat(pieces);
	}

	clear(): void {
		this.chunks = [];
		this.head = 0;
		this.headOffset = 0;
		this.bytes = 0;
	}

	/** Drop references to sent chunks once they are a good part of the array: O(1) amortised. */
	private compact(): void {
		if (this.head === this.chunks.length) {
			this.chunks = [];
			this.head = 0;
		} else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
			this.chunks = this.chunks.slice(this.head);
			this.head = 0;
		}
	}
}
