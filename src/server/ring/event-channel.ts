/**
 * One end of the event channel bound to a ring: a doorbell each way, no payload. A notification
 * only says "look at the page again"; several may coalesce into one, so the receiver always
 * re-reads the whole state.
 */
export interface EventChannel {
	/** Ring the guest's doorbell. */
	notify(): void;
	/**
	 * Call `handler` for every notification from the guest, from now on. Called once. A backend
	 * may call the handler synchronously from inside `notify` or from its own I/O callback; the
	 * transport copes with both.
	 */
	listen(handler: () => void): void;
	/** Unbind the channel. Called once, when the transport closes; no handler call follows. */
	close(): void;
}
