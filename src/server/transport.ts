/**
 * The boundary between the protocol engine and how bytes reach it. A connection sees only this:
 * a Unix socket, a xenstore ring page with its event channel, or an emulated domain's socket all
 * look the same. A backend for real Xen devices (grant-mapped ring, /dev/xen/evtchn) implements it
 * too, without touching the engine.
 */
export interface TransportEvents {
	/**
	 * Bytes from the peer, in order. The transport may deliver any split of the stream, and may
	 * reuse the chunk's memory once this returns: what must outlive the call is copied.
	 */
	data(chunk: Buffer): void;
	/** The peer can take more output after `write` returned false. */
	drain(): void;
	/** The transport is gone; `reason` says why in words for the log. */
	close(reason: string): void;
	/**
	 * The peer asked to start over on the same transport (ring reconnection): forget the partly
	 * received request, replies not yet written, watches and transactions of this connection. The
	 * transport has discarded its own queued output; `data` resumes with a fresh stream.
	 */
	reset(): void;
}

/**
 * Why the engine ends a connection, when the peer is to be told: a ring shows it in its error word.
 * `protocol-violation`: the peer broke the wire protocol (a header announced a payload over the
 * limit).
 */
export type CloseCause = 'protocol-violation';

export interface Transport {
	/** What kind of peer this is, for logs and for the migration stream. */
	readonly kind: 'socket' | 'ring';
	/** Start delivering events to `events`. Called once, by the connection that owns the transport. */
	attach(events: TransportEvents): void;
	/**
	 * Queue bytes for the peer. Returns false when the peer is not keeping up: the caller stops
	 * producing (stops reading requests) until `drain`. Bytes passed in are never dropped.
	 */
	write(chunk: Buffer): boolean;
	/**
	 * Deliver through `data`, now, whatever was received from the peer but held back because the
	 * transport is paused (live update then carries it with the connection's unprocessed input),
	 * and leave the transport paused: anything the peer sends after stays where a successor finds
	 * it. `resume` restarts it.
	 */
	deliverHeldBack(): void;
	/** Stop delivering `data` (back-pressure towards the peer); `resume` restarts it. */
	pause(): void;
	resume(): void;
	/** Bytes accepted by `write` but not yet taken by the peer (live update carries them). */
	pendingOutput(): Buffer;
	/**
	 * Whether every byte accepted is either taken by the peer or in `pendingOutput`: no write is
	 * half done somewhere this process cannot see. Live update waits for it.
	 */
	settled(): boolean;
	/** Close; `reason` goes to the log, `cause` to the peer if it can be told. No further events after this returns. */
	close(reason: string, cause?: CloseCause): void;
}
