/**
 * The frames a connection has queued and not yet handed to its transport. Nearly always one: the
 * reply to the request just handled. That one is kept in a field of its own, because an array
 * emptied after each flush (`length = 0`) loses its backing store in V8 and allocates a new one on
 * the next push: with 8 clients that was about a sixth of the garbage the daemon made per read.
 */
export class PendingFrames {
	private first: Buffer | undefined;
	/** Frames after the first, when a flush has more than one (replies and watch events). */
	private rest: Buffer[] | undefined;
	private total = 0;

	get bytes(): number {
		return this.total;
	}

	get empty(): boolean {
		return this.first === undefined;
	}

	push(frame: Buffer): void {
		if (this.first === undefined) this.first = frame;
		else if (this.rest === undefined) this.rest = [frame];
		else this.rest.push(frame);
		this.total += frame.length;
	}

	/** Everything queued, as one buffer, and the queue emptied. */
	take(): Buffer {
		const all = this.contents();
		this.clear();
		return all;
	}

	/** Everything queued, as one buffer, leaving the queue as it is (live update's capture). */
	contents(): Buffer {
		if (this.first === undefined) return EMPTY;
		return this.rest === undefined || this.rest.length === 0
			? this.first
			: Buffer.concat([this.first, ...this.rest], this.total);
	}

	clear(): void {
		this.first = undefined;
		if (this.rest !== undefined) this.rest.length = 0;
		this.total = 0;
	}
}

const EMPTY = Buffer.alloc(0);
