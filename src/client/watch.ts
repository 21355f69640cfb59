import { WatchOverflowError } from './errors.ts';

export interface WatchEvent {
	/** The path that changed (the watched path itself for the initial event and for removals above). */
	path: string;
	token: string;
}

/** Events one watch may hold unconsumed before it overflows (see Watch). */
export const DEFAULT_WATCH_BUFFER = 1024;

type Waiter = { resolve(r: IteratorResult<WatchEvent>): void; reject(e: Error): void };

/**
 * One watch, as an async iterable of its events, starting with the event the daemon sends at once.
 * Events wait here until consumed, up to `limit` of them. One more overflows the watch: that event
 * and all later ones are dropped, the watch is removed from the daemon, and once the events already
 * waiting have been consumed the iteration fails with WatchOverflowError, so a consumer that fell
 * behind learns it lost events instead of silently missing them. Leaving a `for await` loop early,
 * or close(), removes the watch. A lost connection ends the iteration with the connection's error.
 */
export class Watch implements AsyncIterableIterator<WatchEvent> {
	readonly path: string;
	readonly token: string;
	private readonly limit: number;
	private readonly remove: () => Promise<void>;
	private readonly queue: WatchEvent[] = [];
	private readonly waiters: Waiter[] = [];
	/** Set once no more events will come: undefined end means a normal end. */
	private ended = false;
	private failure: Error | undefined;
	private removed = false;

	constructor(path: string, token: string, limit: number, remove: () => Promise<void>) {
		this.path = path;
		this.token = token;
		this.limit = limit;
		this.remove = remove;
	}

	/** Events waiting to be consumed. */
	get pending(): number {
		return this.queue.length;
	}

	/** Called by the client for each event carrying this watch's token. */
	deliver(event: WatchEvent): void {
		if (this.ended) return;
		const waiter = this.waiters.shift();
		if (waiter) {
			waiter.resolve({ value: event, done: false });
			return;
		}
		if (this.queue.length >= this.limit) {
			this.finish(new WatchOverflowError(this.token, this.limit));
			this.removeFromDaemon().catch(() => undefined);
			return;
		}
		this.queue.push(event);
	}

	/** No more events: a normal end without `error`, a failure with it. Waiting events stay readable. */
	finish(error?: Error): void {
		if (this.ended) return;
		this.ended = true;
		this.failure = error;
		for (const w of this.waiters.splice(0)) {
			if (error) w.reject(error);
			else w.resolve({ value: undefined, done: true });
		}
	}

	/** The daemon forgot this watch already (RESET_WATCHES): end without asking it again. */
	forget(): void {
		this.removed = true;
		this.finish();
	}

	next(): Promise<IteratorResult<WatchEvent>> {
		const event = this.queue.shift();
		if (event) return Promise.resolve({ value: event, done: false });
		if (this.ended) {
			if (this.failure) return Promise.reject(this.failure);
			return Promise.resolve({ value: undefined, done: true });
		}
		return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
	}

	/** Leaving a `for await` loop early: remove the watch. */
	async return(): Promise<IteratorResult<WatchEvent>> {
		await this.close();
		return { value: undefined, done: true };
	}

	[Symbol.asyncIterator](): this {
		return this;
	}

	/** Remove the watch from the daemon and end the iteration; waiting events are discarded. */
	async close(): Promise<void> {
		this.queue.length = 0;
		this.finish();
		await this.removeFromDaemon();
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	private async removeFromDaemon(): Promise<void> {
		if (this.removed) return;
		this.removed = true;
		await this.remove();
	}
}
