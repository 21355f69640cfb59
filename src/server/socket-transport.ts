import type { Socket } from 'node:net';
import type { Transport, TransportEvents } from './transport.ts';

/** Bytes this transport holds for a peer that is not reading before it reports back-pressure. */
const HIGH_WATER = 64 * 1024;

/**
 * A Unix socket connection. Output is handed to Node one batch at a time and the next batch waits
 * for the previous one to be written, so that what has not reached the kernel stays here, countable
 * and carried by live update, instead of in Node's internal buffers.
 */
export class SocketTransport implements Transport {
	readonly kind = 'socket';
	readonly socket: Socket;
	private readonly queue: Buffer[] = [];
	private queued = 0;
	private inFlight = false;
	private wantDrain = false;
	private closed = false;
	private events: TransportEvents | undefined;

	constructor(socket: Socket) {
		this.socket = socket;
	}

	/** The file descriptor, for live update's descriptor passing. */
	get fd(): number {
		return (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
	}

	attach(events: TransportEvents): void {
		this.events = events;
		this.socket.on('data', (chunk: Buffer) => events.data(chunk));
		this.socket.on('error', (err) => this.close(`socket error: ${err.message}`));
		this.socket.on('close', () => this.close('peer closed the connection'));
		this.socket.on('end', () => this.close('peer closed the connection'));
	}

	write(chunk: Buffer): boolean {
		if (this.closed) return true;
		if (this.inFlight) {
			this.queue.push(chunk);
			this.queued += chunk.length;
		} else {
			this.send(chunk);
		}
		if (this.queued >= HIGH_WATER) {
			this.wantDrain = true;
			return false;
		}
		return true;
	}

	private send(chunk: Buffer): void {
		this.inFlight = true;
		this.socket.write(chunk, () => this.written());
	}

	private written(): void {
		this.inFlight = false;
		if (this.closed) return;
		if (this.queue.length > 0) {
			const batch = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
			this.queue.length = 0;
			this.queued = 0;
			this.send(batch);
		}
		if (this.wantDrain && this.queued < HIGH_WATER) {
			this.wantDrain = false;
			this.events?.drain();
		}
	}

	/** A paused socket keeps what it read; reading it out emits `data` with it (Readable.read). */
	deliverHeldBack(): void {
		while (this.socket.read() !== null) {
			// Each chunk read was just emitted as `data`.
		}
	}

	pause(): void {
		this.socket.pause();
	}

	resume(): void {
		this.socket.resume();
	}

	pendingOutput(): Buffer {
		return Buffer.concat(this.queue, this.queued);
	}

	/** A batch handed to Node may be partly written: only when none is in flight is the queue all. */
	settled(): boolean {
		return !this.inFlight;
	}

	close(reason: string): void {
		if (this.closed) return;
		this.closed = true;
		this.socket.destroy();
		const events = this.events;
		this.events = undefined;
		events?.close(reason);
	}
}
