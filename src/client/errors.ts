/**
 * The connection to the daemon is gone (closed by either side, or broken by a protocol violation).
 * Every request still waiting for its reply rejects with it, and every open watch ends with it.
 */
export class ConnectionClosedError extends Error {
	constructor(reason: string, options?: { cause?: unknown }) {
		super(`xenstore connection closed: ${reason}`, options);
		this.name = 'ConnectionClosedError';
	}
}

/** A watch's consumer fell too far behind: events were lost, so the watch was ended (see watch.ts). */
export class WatchOverflowError extends Error {
	readonly token: string;
	constructor(token: string, limit: number) {
		super(`watch ${token}: more than ${limit} events waiting to be consumed; events were dropped`);
		this.name = 'WatchOverflowError';
		this.token = token;
	}
}
