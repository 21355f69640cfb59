/**
 * The frames a connection has queued and not yet handed to its transport. Nearly always one: the
 * reply to the request just handled. That one is kept in a field of its own, because an array
 * emptied after each flush (`length = 0`) loses its backing store in V8 and allocates a new one on
 * the next push: with 8 clients that was about a sixth of the garbage the daemon made per read.
 * The frames after it (a reply and watch events in one flush) go in an array that is never
 * shortened, for the same reason: a count says how many of its slots are in use.
 */
export class PendingFrames {
	private first: Buffer | undefined;
	/** Frames after the first, in slots 0 to restCount - 1; later slots hold nothing. */
	private readonly rest: (Buffer | undefined)[] = [];
	private restCount = 0;
	private total = 0;

	get bytes(): number {
		return this.total;
	}

	get empty(): boolean {
		return this.first === undefined;
	}

	push(frame: Buffer): void {
		if (this.first === undefined) this.first = frame;
		else this.rest[this.restCount++] = frame;
		this.total += frame.length;
	}

	/** Everything queued, as one buffer, and the queue emptied. */
	take(): Buffer {
		const all = this.contents();
		this.clear();
		return all;
	}

	/**
	 * `before`, then everything queued, as one buffer copied once, leaving the queue as it is (live
	 * update's capture puts what the transport still holds before it).
	 */
	contents(before: Buffer = EMPTY): Buffer {
		if (this.first === undefined) return before;
		if (this.restCount === 0 && before.length === 0) return this.first;
		const all = Buffer.allocUnsafe(before.length + this.total);
		all.set(before, 0);
		all.set(this.first, before.length);
		let at = before.length + this.first.length;
		for (let i = 0; i < this.restCount; i++) {
			const frame = this.rest[i]!;
			all.set(frame, at);
			at += frame.length;
		}
		return all;
	}

	clear(): void {
		this.first = undefined;
		// Let the written frames go, but keep the slots.
		for (let i = 0; i < this.restCount; i++) this.rest[i] = undefined;
		this.restCount = 0;
		this.total = 0;
	}
}

const EMPTY = Buffer.alloc(0);
