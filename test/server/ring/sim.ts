/**
 * The other side of a ring, for tests: an event channel whose far end is the test, a guest that
 * reads and writes the page the way a guest kernel's xenbus driver does, and engines standing in
 * for the protocol engine. The guest's arithmetic is written out from the ring document on purpose,
 * independently of the transport's layout module, so one cannot hide a mistake in the other.
 */
import { readUint32, writeUint32 } from '../../../src/protocol/header.ts';
import type { EventChannel } from '../../../src/server/ring/event-channel.ts';
import type { TransportEvents } from '../../../src/server/transport.ts';

// docs/misc/xenstore-ring.txt, "The xenstore ring datastructure".
export const REQ = 0;
export const RSP = 1024;
export const REQ_CONS = 2048;
export const REQ_PROD = 2052;
export const RSP_CONS = 2056;
export const RSP_PROD = 2060;
export const SERVER_FEATURES = 2064;
export const CONNECTION = 2068;
export const ERROR = 2072;
const SIZE = 1024;
const WRAP = 2 ** 32;

/** The daemon's end of the channel; `signal` is the guest ringing it. */
export class TestEventChannel implements EventChannel {
	/** Notifications the daemon sent the guest. */
	notifications = 0;
	closed = false;
	/** Called on each notification to the guest, to let a test guest react at once. */
	onGuestNotified: (() => void) | undefined;
	private handler: (() => void) | undefined;

	notify(): void {
		if (this.closed) throw new Error('notify on an unbound event channel');
		this.notifications++;
		this.onGuestNotified?.();
	}

	listen(handler: () => void): void {
		if (this.handler) throw new Error('listen called twice');
		this.handler = handler;
	}

	close(): void {
		if (this.closed) throw new Error('event channel closed twice');
		this.closed = true;
		this.handler = undefined;
	}

	signal(): void {
		this.handler?.();
	}
}

export class SimGuest {
	readonly page: Buffer;
	readonly channel: TestEventChannel;

	constructor(page: Buffer, channel: TestEventChannel) {
		this.page = page;
		this.channel = channel;
	}

	get(offset: number): number {
		return readUint32(this.page, offset);
	}

	set(offset: number, value: number): void {
		writeUint32(this.page, value, offset);
	}

	/** Start both queues empty at `index`, as a toolstack may leave them. */
	setIndexes(index: number): void {
		for (const at of [REQ_CONS, REQ_PROD, RSP_CONS, RSP_PROD]) this.set(at, index);
	}

	/** Put up to `max` bytes of `data` into the request queue, without ringing. Returns how many. */
	produce(data: Buffer, max = Number.POSITIVE_INFINITY): number {
		const cons = this.get(REQ_CONS);
		const prod = this.get(REQ_PROD);
		const used = (prod - cons + WRAP) % WRAP;
		if (used > SIZE) throw new Error(`guest sees a broken request queue: ${used} bytes`);
		const n = Math.min(SIZE - used, data.length, max);
		for (let i = 0; i < n; i++) this.page[REQ + ((prod + i) % SIZE)] = data[i]!;
		this.set(REQ_PROD, (prod + n) % WRAP);
		return n;
	}

	/** Produce, then ring. */
	send(data: Buffer, max = Number.POSITIVE_INFINITY): number {
		const n = this.produce(data, max);
		this.channel.signal();
		return n;
	}

	/** Take up to `max` bytes from the response queue, without ringing. */
	take(max = Number.POSITIVE_INFINITY): Buffer {
		const cons = this.get(RSP_CONS);
		const prod = this.get(RSP_PROD);
		const used = (prod - cons + WRAP) % WRAP;
		if (used > SIZE) throw new Error(`guest sees a broken response queue: ${used} bytes`);
		const n = Math.min(used, max);
		const out = Buffer.alloc(n);
		for (let i = 0; i < n; i++) out[i] = this.page[RSP + ((cons + i) % SIZE)]!;
		this.set(RSP_CONS, (cons + n) % WRAP);
		return out;
	}

	/** Take, then ring. */
	receive(max = Number.POSITIVE_INFINITY): Buffer {
		const out = this.take(max);
		this.channel.signal();
		return out;
	}

	/** Bytes the daemon has not taken from the request queue yet. */
	requestsWaiting(): number {
		return (this.get(REQ_PROD) - this.get(REQ_CONS) + WRAP) % WRAP;
	}

	/** Bytes of response in the queue the guest has not taken. */
	responsesWaiting(): number {
		return (this.get(RSP_PROD) - this.get(RSP_CONS) + WRAP) % WRAP;
	}
}

/** Records every event, and fails the test if `data` is entered while it is already running. */
export class RecordingEvents implements TransportEvents {
	readonly chunks: Buffer[] = [];
	drains = 0;
	resets = 0;
	closes: string[] = [];
	private depth = 0;
	/** What the engine does with each chunk, after recording it. */
	onData: ((chunk: Buffer) => void) | undefined;
	onReset: (() => void) | undefined;
	onDrain: (() => void) | undefined;

	data(chunk: Buffer): void {
		if (this.depth > 0) throw new Error('data delivered while the previous delivery was running');
		this.depth++;
		try {
			this.chunks.push(Buffer.from(chunk));
			this.onData?.(chunk);
		} finally {
			this.depth--;
		}
	}

	drain(): void {
		this.drains++;
		this.onDrain?.();
	}

	close(reason: string): void {
		this.closes.push(reason);
	}

	reset(): void {
		this.resets++;
		this.onReset?.();
	}

	received(): Buffer {
		return Buffer.concat(this.chunks);
	}
}
