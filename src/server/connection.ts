import type { Services, Session } from '../ops/context.ts';
import { resetSession } from '../ops/watch.ts';
import type { XenstoreError } from '../protocol/errors.ts';
import { encodeFrame, type Frame, FrameReader, PayloadTooLongError } from '../protocol/frame.ts';
import { HEADER_SIZE, readUint32 } from '../protocol/header.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { MessageType } from '../protocol/message-type.ts';
import type { PathContext } from '../store/path.ts';
import type { Caller } from '../store/perms.ts';
import type { Transaction } from '../store/transaction.ts';
import type { Watch } from '../store/watches.ts';
import { dispatch } from './dispatch.ts';
import type { Logger } from './log.ts';
import { PendingFrames } from './pending-frames.ts';
import type { Tracer } from './trace.ts';
import type { CloseCause, Transport } from './transport.ts';

/** What a connection needs from the daemon that owns it. */
export interface ConnectionHost {
	readonly services: Services;
	readonly log: Logger;
	readonly tracer: Tracer;
	/** Write this connection's queued output at the end of the current event-loop turn. */
	scheduleFlush(conn: Connection): void;
	/** The connection is gone: forget it. */
	closed(conn: Connection, reason: string): void;
}

/**
 * Output a connection may hold for a peer that does not read before it is disconnected. Replies
 * stop being produced long before (input is paused while output waits); this bounds watch events
 * other clients cause.
 */
const MAX_QUEUED_OUTPUT = 16 * 1024 * 1024;

/**
 * Replies queued in one turn after which a connection stops handling requests until they have
 * been written: a burst of pipelined reads of big values cannot make its output grow unchecked.
 */
const TURN_OUTPUT_LIMIT = 256 * 1024;

/**
 * A clock of input: it ticks once per chunk read on any connection, and each connection keeps the
 * tick of its last one (recentlyActive). Kept a small integer by wrapping, which only confuses the
 * order of old and recent for a moment every billion chunks.
 */
let inputClock = 0;
const CLOCK_MASK = 0x3fffffff;
/** Chunks of input (on any connection) since a peer's last one for it to count as recently active. */
const RECENT_INPUTS = 1 << 16;

/**
 * The last watch event encoded, shared by every connection it goes to: one write usually sends
 * the same path and token to many watchers (a toolstack's or a backend's connections), and frames
 * are never changed once queued. Sharing the payload string also lets each connection's dedupe
 * hash it once, not once per watcher.
 */
let lastEvent: { path: string; token: string; payload: string; frame: Buffer } | undefined;

function eventFrame(path: string, token: string): { payload: string; frame: Buffer } {
	const last = lastEvent;
	if (last !== undefined && last.path === path && last.token === token) return last;
	const payload = `${path}\0${token}\0`;
	const event = { path, token, payload, frame: encodeFrame(MessageType.WATCH_EVENT, 0, 0, payload) };
	lastEvent = event;
	return event;
}

/**
 * Distinct events a connection remembers from earlier flushes before its dedupe is emptied: the
 * dedupe is a Map from payload to the flush it was queued in, so that a flush allocates nothing
 * (clearing a Set allocates a new table, once per watcher on a fan-out).
 */
const DEDUPE_KEPT = 32;

/**
 * One client: its transport, the requests it sends (processed in order, one reply each) and what
 * it holds in the store (transactions, watches). Replies and events are queued and written once
 * per event-loop turn; while the peer does not take its output, no further request is processed.
 */
export class Connection implements Session {
	readonly id: number;
	caller: Caller;
	paths: PathContext;
	readonly transactions = new Map<number, Transaction>();
	readonly watches = new Map<string, Watch>();
	readonly transport: Transport;
	private readonly host: ConnectionHost;
	private reader = new FrameReader();
	private readonly out = new PendingFrames();
	/**
	 * Events queued and not yet written, as payload to the flush they wait for: an identical one is
	 * not queued twice (as in C). Entries from earlier flushes are stale (see DEDUPE_KEPT).
	 */
	private readonly queuedEvents = new Map<string, number>();
	/** Counts flushes, so that the dedupe's entries from earlier ones count for nothing. */
	private flushes = 0;
	private lastTxId = 0;
	private afterReply: Array<[string, string]> = [];
	/** Replies queued and not yet handed to the transport (the `outstanding` quota of guests). */
	private pendingReplies = 0;
	/** The peer is not taking output: stop processing input until it drains. */
	private blocked = false;
	/** A request is being answered asynchronously (live update): later ones wait. */
	private busy = false;
	/** Live update or shutdown holds all input. */
	private held = false;
	private isClosed = false;
	/** Whether the transport is delivering input (it is paused whenever requests must wait). */
	private reading = true;
	/** Handling a chunk of this connection's own input: its output is flushed right after. */
	private handlingInput = false;
	/** When the oldest watch event still waiting for this peer was queued (0: none waits). */
	private eventWaitingSince = 0;
	/** The input clock's tick when this peer last sent something (0: never). */
	private lastInput = 0;

	constructor(host: ConnectionHost, id: number, transport: Transport, caller: Caller, paths: PathContext) {
		this.host = host;
		this.id = id;
		this.transport = transport;
		this.caller = caller;
		this.paths = paths;
	}

	get closed(): boolean {
		return this.isClosed;
	}

	/** A short description for logs: who this is. */
	get label(): string {
		return `connection ${this.id} (${this.transport.kind}, domain ${this.caller.domid})`;
	}

	start(): void {
		this.transport.attach({
			data: (chunk) => {
				inputClock = (inputClock + 1) & CLOCK_MASK;
				this.lastInput = inputClock;
				this.reader.push(chunk);
				this.handlingInput = true;
				try {
					this.processInput();
				} finally {
					this.handlingInput = false;
					// The transport may reuse the chunk's memory for the next read (of any peer).
					this.reader.detach();
				}
				// The replies to this read go out now, in one write; events for other connections
				// wait for the end of the event-loop turn (Daemon.scheduleFlush).
				this.flush();
			},
			drain: () => {
				this.blocked = false;
				this.flush();
				this.processInput();
			},
			close: (reason) => this.closeNow(reason),
			reset: () => this.restart('peer reconnected'),
		});
	}

	/**
	 * Start over on the same transport, forgetting everything the peer had: its guest reconnected
	 * (ring), or dom0 introduced its domain again (as C xenstored resets the domain's connection).
	 */
	restart(reason: string): void {
		this.host.log.info(`${this.label}: ${reason}; its watches, transactions and queued data are dropped`);
		this.reader = new FrameReader();
		this.out.clear();
		this.pendingReplies = 0;
		this.queuedEvents.clear();
		this.afterReply = [];
		this.blocked = false;
		resetSession(this, this.host.services);
		this.syncReading();
	}

	nextTransactionId(): number {
		do {
			this.lastTxId = (this.lastTxId + 1) >>> 0;
		} while (this.lastTxId === 0 || this.transactions.has(this.lastTxId));
		return this.lastTxId;
	}

	eventAfterReply(path: string, token: string): void {
		this.afterReply.push([path, token]);
	}

	/** Whether another request may be handled now. */
	private canProcess(): boolean {
		return !this.isClosed && !this.blocked && !this.busy && !this.held && this.mayProcess();
	}

	/**
	 * Pause the transport while requests must wait, so that a peer that sends without reading its
	 * replies is held back by its own socket buffer (or ring), not by this process's memory.
	 */
	private syncReading(): void {
		const want = this.canProcess();
		if (want === this.reading || this.isClosed) return;
		this.reading = want;
		if (want) this.transport.resume();
		else this.transport.pause();
	}

	/** Handle every whole request received, in order, until one must wait. */
	processInput(): void {
		while (this.canProcess()) {
			let frame: Frame | undefined;
			try {
				frame = this.reader.next();
			} catch (e) {
				if (!(e instanceof PayloadTooLongError)) throw e;
				this.host.log.warn(`${this.label}: ${e.message}; closing it`);
				this.close(`protocol violation: ${e.message}`, 'protocol-violation');
				return;
			}
			if (frame === undefined) break;
			this.handle(frame);
		}
		this.syncReading();
	}

	/**
	 * Whether this turn's output leaves room for another request: a burst of pipelined requests
	 * cannot make output grow unchecked, and a guest gets at most its `outstanding` quota of
	 * unanswered requests (the rest wait in the transport, as they wait in the ring for C).
	 */
	private mayProcess(): boolean {
		if (this.out.bytes >= TURN_OUTPUT_LIMIT) return false;
		if (this.caller.privileged) return true;
		const limit = this.host.services.store.quota(this.caller.domid, 'outstanding');
		return limit === 0 || this.pendingReplies < limit;
	}

	private handle(frame: Frame): void {
		const { tracer } = this.host;
		if (tracer.enabled) tracer.io('IN', this.id, frame.type, frame.payload);
		const reply = dispatch(this.host.services, this, frame, this.fault);
		if (reply instanceof Promise) {
			this.busy = true;
			reply.then((r) => {
				this.busy = false;
				if (this.isClosed) return;
				this.reply(r);
				this.processInput();
			});
			return;
		}
		this.reply(reply);
	}

	/** A request this daemon failed by a fault of its own: the log says which and why. */
	private readonly fault = (error: XenstoreError): void => {
		this.host.log.error(`${this.label}: ${error.message}`);
	};

	private reply(frame: Buffer): void {
		this.pendingReplies++;
		this.enqueue(frame);
		if (this.afterReply.length > 0) {
			const events = this.afterReply;
			this.afterReply = [];
			for (const [path, token] of events) this.deliverEvent(path, token);
		}
	}

	deliverEvent(path: string, token: string): void {
		if (this.isClosed) return;
		// An event that cannot fit in a message is not sent at all (as in C xenstored).
		if (path.length + token.length + 2 > PAYLOAD_MAX) return;
		const { payload, frame } = eventFrame(path, token);
		if (path.charCodeAt(0) !== 64) {
			if (this.queuedEvents.get(payload) === this.flushes) return;
			this.queuedEvents.set(payload, this.flushes);
		}
		if (this.eventWaitingSince === 0) this.eventWaitingSince = Date.now();
		this.enqueue(frame);
	}

	/** How long a watch event has waited for this peer to take it, in milliseconds (0: none waits). */
	eventWaitMs(now: number): number {
		return this.eventWaitingSince === 0 ? 0 : now - this.eventWaitingSince;
	}

	private enqueue(frame: Buffer): void {
		const { tracer } = this.host;
		if (tracer.enabled) {
			tracer.io('OUT', this.id, readUint32(frame, 0), frame.subarray(HEADER_SIZE));
		}
		this.out.push(frame);
		if (this.out.bytes > MAX_QUEUED_OUTPUT) {
			this.host.log.warn(
				`${this.label}: ${this.out.bytes} bytes of output not taken by the peer; closing it`,
			);
			this.close('peer does not read its output');
			return;
		}
		// While handling its own input the connection flushes when done; otherwise (an event caused
		// by another connection, a late reply) at the end of the turn.
		if (!this.handlingInput) this.host.scheduleFlush(this);
	}

	/** Hand queued output to the transport, unless the peer is not keeping up. */
	flush(): void {
		if (this.isClosed || this.blocked || this.out.empty) return;
		const batch = this.out.take();
		this.pendingReplies = 0;
		this.flushes++;
		if (this.queuedEvents.size > DEDUPE_KEPT) this.queuedEvents.clear();
		if (!this.transport.write(batch)) this.blocked = true;
		else this.eventWaitingSince = 0;
		// Requests left waiting because this turn's output was large go on now.
		this.processInput();
	}

	/**
	 * Stop processing input (live update); `release` restarts it. Unless `pauseNow`, the transport
	 * is paused only when input next arrives (processInput): holding thousands of idle connections
	 * then costs nothing, and what a peer sends meanwhile is bounded as for any paused connection.
	 */
	hold(pauseNow = false): void {
		this.held = true;
		if (pauseNow) this.syncReading();
	}

	/**
	 * Handle what arrived while held, and send its replies (and any output carried over a live
	 * update) now rather than at the end of the turn: after a live update's restore, the end of
	 * the turn comes only after the rest of the takeover, and the clients are waiting.
	 */
	release(): void {
		this.held = false;
		this.processInput();
		this.flush();
	}

	/** Whether all output is either written or in `pendingOutput` (live update waits for it). */
	get settled(): boolean {
		return this.out.empty && this.transport.settled();
	}

	/** Live update: an open transaction carried over, under its id. */
	adoptTransaction(tx: Transaction): void {
		this.transactions.set(tx.id, tx);
		if (tx.id > this.lastTxId) this.lastTxId = tx.id;
	}

	/** Live update: the input and output a predecessor had not dealt with, processed and sent first. */
	restorePending(input: Buffer, output: Buffer): void {
		if (input.length > 0) this.reader.push(Buffer.from(input));
		if (output.length > 0) {
			this.out.push(Buffer.from(output));
			this.host.scheduleFlush(this);
		}
	}

	/** Live update: take in what the transport holds back, then read nothing more (release restarts it). */
	stopReading(): void {
		this.transport.deliverHeldBack();
		this.reading = false;
	}

	/**
	 * Live update: nothing of this connection's own to carry over (no input left to handle, no
	 * output waiting, no watch, no open transaction), so a successor can serve its socket as a
	 * connection just made.
	 */
	get quiet(): boolean {
		return (
			this.reader.pendingLength === 0 &&
			this.out.empty &&
			this.transport.settled() &&
			this.transport.pendingOutput().length === 0 &&
			this.watches.size === 0 &&
			this.transactions.size === 0
		);
	}

	/**
	 * Whether this peer sent something lately, by the input clock: a live-update successor starts
	 * reading such peers' sockets first, since they are the likeliest to have sent a request meanwhile.
	 */
	get recentlyActive(): boolean {
		return this.lastInput !== 0 && ((inputClock - this.lastInput) & CLOCK_MASK) < RECENT_INPUTS;
	}

	/** Bytes received but not yet processed (a partly received request), for live update. */
	unprocessedInput(): Buffer {
		return this.reader.unconsumed();
	}

	/** Output not yet handed to the transport, then what the transport still holds. */
	pendingOutput(): Buffer {
		return this.out.contents(this.transport.pendingOutput());
	}

	close(reason: string, cause?: CloseCause): void {
		this.transport.close(reason, cause);
		this.closeNow(reason);
	}

	private closeNow(reason: string): void {
		if (this.isClosed) return;
		this.isClosed = true;
		resetSession(this, this.host.services);
		this.out.clear();
		this.host.closed(this, reason);
	}
}
