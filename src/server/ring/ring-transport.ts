import type { CloseCause, Transport, TransportEvents } from '../transport.ts';
import type { EventChannel } from './event-channel.ts';
import {
	advance,
	ConnectionState,
	Feature,
	indexesValid,
	Offset,
	queued,
	RING_SIZE,
	RingError,
	type RingErrorCode,
} from './layout.ts';
import type { RingMemory } from './memory.ts';
import { OutputQueue } from './output-queue.ts';
import { readFromRing, writeToRing } from './ring-io.ts';

export interface RingTransportOptions {
	/** Who is at the other end, for log lines: "domain 5". */
	peer: string;
	/**
	 * Feature bits to advertise in the page (default: reconnection and the error word, the two this
	 * transport implements; the engine adds its own, such as WATCHDEPTH). Reconnection requests and
	 * the error word are honoured only when advertised, as the ring protocol says.
	 */
	features?: number;
	/** Once more than this many output bytes wait for room in the ring, `write` returns false. */
	outputLimit?: number;
	/**
	 * Empty both queues on attach and mark the ring connected, as for a domain being introduced
	 * (C xenstored does the same on INTRODUCE: the guest has not been let run yet, and a toolstack
	 * may have set the connection word to make the guest wait for the daemon). Not after a live
	 * update: the page then holds traffic in flight.
	 */
	startEmpty?: boolean;
}

export const DEFAULT_RING_FEATURES = Feature.RECONNECTION | Feature.ERROR;
/** Sixteen replies of the largest size: a guest that reads nothing stops the engine well before. */
export const DEFAULT_OUTPUT_LIMIT = 16 * 4112;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * A connection to a guest over its xenstore ring page and event channel.
 *
 * Everything happens in passes, one per notification from the guest (several notifications that
 * arrive during a pass cause one more pass): honour a reconnection request, move queued output
 * into the response queue, then, unless paused, take whatever requests are in the request queue
 * (at most one ring's worth, so one busy guest cannot hold the daemon) and deliver them as `data`.
 * Every index is read from the page once per pass and checked before use; the guest may write
 * anything there at any time.
 *
 * Events are only delivered from inside a pass: `attach` and `resume` run one at once (requests
 * already waiting are delivered before they return); `write` never emits an event, so the engine
 * can call it from anywhere, including from inside another connection's request.
 */
export class RingTransport implements Transport {
	readonly kind = 'ring';
	private readonly memory: RingMemory;
	private readonly evtchn: EventChannel;
	private readonly peer: string;
	private readonly features: number;
	private readonly outputLimit: number;
	private readonly startEmpty: boolean;
	private readonly output = new OutputQueue();
	private events: TransportEvents | undefined;
	private paused = false;
	private closed = false;
	/** `write` returned false; `drain` is owed once the queue empties. */
	private drainOwed = false;
	private inPass = false;
	private passAgain = false;

	constructor(memory: RingMemory, evtchn: EventChannel, options: RingTransportOptions) {
		this.memory = memory;
		this.evtchn = evtchn;
		this.peer = options.peer;
		this.features = (options.features ?? DEFAULT_RING_FEATURES) >>> 0;
		this.outputLimit = options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
		this.startEmpty = options.startEmpty ?? false;
	}

	attach(events: TransportEvents): void {
		if (this.events) throw new Error(`ring of ${this.peer}: attached twice`);
		if (this.closed) throw new Error(`ring of ${this.peer}: attached after close`);
		this.events = events;
		if (this.startEmpty) {
			this.emptyQueues();
			this.memory.barrier();
			this.memory.writeUint32(Offset.CONNECTION, ConnectionState.CONNECTED);
		}
		// Bits once offered are never withdrawn (a predecessor daemon may have set some before a
		// live update), so add ours to what the word holds.
		const offered = this.memory.readUint32(Offset.SERVER_FEATURES);
		this.memory.writeUint32(Offset.SERVER_FEATURES, (offered | this.features) >>> 0);
		this.memory.barrier();
		this.evtchn.notify();
		this.evtchn.listen(() => this.service());
		this.service();
	}

	write(chunk: Buffer): boolean {
		if (this.closed) return false;
		this.output.push(chunk);
		// Indexes found broken here are left for the next pass to report: an event from inside
		// `write` would reach the engine in the middle of whatever it is doing.
		if (this.events) this.flush();
		if (this.output.length <= this.outputLimit) return true;
		this.drainOwed = true;
		return false;
	}

	pause(): void {
		this.paused = true;
	}

	resume(): void {
		if (!this.paused) return;
		this.paused = false;
		this.service();
	}

	/**
	 * Requests still in the ring stay in the page, which a successor maps again: nothing is held
	 * back here. From now on they stay there.
	 */
	deliverHeldBack(): void {
		this.paused = true;
	}

	/** Bytes in the ring are in the page, which a successor maps again: nothing is half written. */
	settled(): boolean {
		return true;
	}

	pendingOutput(): Buffer {
		return this.output.peekAll();
	}

	/** The reason is the engine's to log; the guest learns only the cause, through the error word. */
	close(_reason: string, cause?: CloseCause): void {
		if (this.closed) return;
		this.shutdown(cause === 'protocol-violation' ? RingError.PROTO : RingError.NONE);
	}

	/** Run passes until no notification is left unanswered. Re-entrant calls become one more pass. */
	private service(): void {
		if (this.closed || !this.events) return;
		if (this.inPass) {
			this.passAgain = true;
			return;
		}
		this.inPass = true;
		try {
			do {
				this.passAgain = false;
				this.pass(this.events);
			} while (this.passAgain && !this.closed);
		} finally {
			this.inPass = false;
		}
	}

	private pass(events: TransportEvents): void {
		if (this.reconnectRequested()) {
			this.reconnect(events);
			if (this.closed) return;
		}
		const broken = this.flush();
		if (broken) {
			this.fail(events, RingError.RINGIDX, `bad response ring indexes: ${broken}`);
			return;
		}
		if (this.drainOwed && this.output.length === 0) {
			this.drainOwed = false;
			events.drain();
			if (this.closed) return;
		}
		if (!this.paused) this.consume(events);
	}

	/** Take every request byte waiting in the ring, hand it to the engine, and free the space. */
	private consume(events: TransportEvents): void {
		const cons = this.memory.readUint32(Offset.REQ_CONS);
		const prod = this.memory.readUint32(Offset.REQ_PROD);
		this.memory.barrier();
		if (!indexesValid(cons, prod)) {
			this.fail(
				events,
				RingError.RINGIDX,
				`bad request ring indexes: consumer ${hex(cons)} producer ${hex(prod)}`,
			);
			return;
		}
		const length = queued(cons, prod);
		if (length === 0) return;
		const data = readFromRing(this.memory, Offset.REQ, cons, length);
		// The bytes must be copied out before the guest learns it may overwrite them.
		this.memory.barrier();
		this.memory.writeUint32(Offset.REQ_CONS, advance(cons, length));
		this.evtchn.notify();
		events.data(data);
	}

	/**
	 * Move as much queued output into the response ring as it has room for. Returns a description
	 * of the indexes when they are impossible (nothing is written then), undefined otherwise.
	 */
	private flush(): string | undefined {
		if (this.output.length === 0) return undefined;
		const cons = this.memory.readUint32(Offset.RSP_CONS);
		const prod = this.memory.readUint32(Offset.RSP_PROD);
		this.memory.barrier();
		if (!indexesValid(cons, prod)) return `consumer ${hex(cons)} producer ${hex(prod)}`;
		const room = RING_SIZE - queued(cons, prod);
		if (room === 0) return undefined;
		let at = prod;
		this.output.take(room, (piece) => {
			writeToRing(this.memory, Offset.RSP, at, piece);
			at = advance(at, piece.length);
		});
		// The data must be in the page before the guest can see the index that covers it.
		this.memory.barrier();
		this.memory.writeUint32(Offset.RSP_PROD, at);
		this.evtchn.notify();
		return undefined;
	}

	private reconnectRequested(): boolean {
		return (
			(this.features & Feature.RECONNECTION) !== 0 &&
			this.memory.readUint32(Offset.CONNECTION) === ConnectionState.RECONNECT
		);
	}

	/**
	 * The guest asked to start over: both queues empty, nothing of the old stream kept on either
	 * side, then tell it the ring is connected again.
	 */
	private reconnect(events: TransportEvents): void {
		this.emptyQueues();
		// The engine forgets the old stream before the guest may start a new one.
		events.reset();
		if (this.closed) return;
		this.memory.barrier();
		this.memory.writeUint32(Offset.CONNECTION, ConnectionState.CONNECTED);
		this.evtchn.notify();
	}

	/** Forget all output, queued here or in the page, and all requests in the page. */
	private emptyQueues(): void {
		this.output.clear();
		this.memory.writeUint32(Offset.REQ_CONS, 0);
		this.memory.writeUint32(Offset.REQ_PROD, 0);
		this.memory.writeUint32(Offset.RSP_CONS, 0);
		this.memory.writeUint32(Offset.RSP_PROD, 0);
	}

	/** Give the ring up because of the guest: say why in the page, then to the engine. */
	private fail(events: TransportEvents, code: RingErrorCode, what: string): void {
		this.shutdown(code);
		events.close(`ring of ${this.peer}: ${what}`);
	}

	private shutdown(code: RingErrorCode): void {
		this.closed = true;
		this.output.clear();
		if (code !== RingError.NONE && (this.features & Feature.ERROR) !== 0) {
			this.memory.writeUint32(Offset.ERROR, code);
			this.memory.barrier();
			this.evtchn.notify();
		}
		this.evtchn.close();
		this.memory.close();
	}
}
