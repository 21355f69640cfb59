import type { Socket } from 'node:net';
import type { Transport, TransportEvents } from './transport.ts';

/** Bytes this transport holds for a peer that is not reading before it reports back-pressure. */
const HIGH_WATER = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * A Unix socket connection. Output goes to the kernel at once when it takes it (the usual case: a
 * reply is small); when the kernel takes only part, later output waits here until Node has written
 * the rest, so that what has not reached the kernel is countable and carried by live update, not
 * hidden in Node's buffers.
 */
export class SocketTransport implements Transport {
	readonly kind = 'socket';
	readonly socket: Socket;
	private readonly queue: Buffer[] = [];
	private queued = 0;
	/** Node holds bytes the kernel did not take yet: later output queues here. */
	private waiting = false;
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
		// A socket made paused ahead of a live update's handover (liveupdate/ipc.ts) starts now.
		if (this.socket.readableFlowing === false) this.socket.resume();
		this.socket.on('error', (err) => this.close(`socket error: ${err.message}`));
		this.socket.on('close', () => this.close('peer closed the connection'));
		this.socket.on('end', () => this.close('peer closed the connection'));
	}

	write(chunk: Buffer): boolean {
		if (this.closed) return true;
		if (this.waiting) {
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
		this.socket.write(chunk);
		if (this.socket.writableLength > 0) {
			// An empty write completes once everything before it is written.
			this.waiting = true;
			this.socket.write(EMPTY, () => this.written());
		}
	}

	private written(): void {
		this.waiting = false;
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

	/**
	 * Stop taking bytes from the kernel at all. Pausing a Node socket only stops delivering: it
	 * keeps reading up to its high-water mark into its buffer. Stopping the handle too leaves a
	 * peer's unread requests in the kernel, where its own socket buffer holds it back, and where a
	 * live-update successor sharing the socket finds them.
	 */
	pause(): void {
		this.socket.pause();
		const handle = (this.socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })
			._handle;
		if (handle?.reading) {
			handle.reading = false;
			handle.readStop?.();
		}
	}

	resume(): void {
		const handle = (this.socket as unknown as { _handle?: { reading?: boolean; readStart?: () => number } })
			._handle;
		if (handle !== undefined && handle.reading === false) {
			handle.reading = true;
			handle.readStart?.();
		}
		this.socket.resume();
	}

	pendingOutput(): Buffer {
		return Buffer.concat(this.queue, this.queued);
	}

	/** Bytes handed to Node may be partly written: only when none wait there is the queue all. */
	settled(): boolean {
		return !this.waiting;
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
