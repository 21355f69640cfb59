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
	/** Paused by the connection (`pause`), not only made so. */
	private paused = false;
	private events: TransportEvents | undefined;

	/** Flowing, with only its handle stopped: see `standby`. */
	private standingBy = false;

	constructor(socket: Socket) {
		this.socket = socket;
	}

	/**
	 * Live update's successor, before the handover: a client's socket, made paused, that must read
	 * nothing until the connection is released, and then start cheaply, for thousands at once in the
	 * clients' downtime. Resuming a Node socket costs a tick and a pass through its stream each;
	 * so the stream is set flowing now, while the handle it starts on the next tick is stopped on
	 * the tick after, before any poll for input. `resume` then only restarts the handle.
	 */
	static standby(socket: Socket): SocketTransport {
		const transport = new SocketTransport(socket);
		transport.standingBy = true;
		socket.resume();
		process.nextTick(() => stopHandle(socket));
		return transport;
	}

	/** The file descriptor, for live update's descriptor passing (-1 once closed). */
	get fd(): number {
		return (socketHandle(this.socket) as { fd?: number } | undefined)?.fd ?? -1;
	}

	attach(events: TransportEvents): void {
		this.events = events;
		this.socket.on('data', (chunk: Buffer) => events.data(chunk));
		// A socket made paused ahead of a live update's handover (liveupdate/ipc.ts) starts now,
		// unless its connection holds it paused until then.
		if (this.socket.readableFlowing === false && !this.paused) this.socket.resume();
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

	/**
	 * A paused socket keeps what it read; reading it out emits `data` with it (Readable.read). Then
	 * the handle is stopped again: Node restarts it after a chunk during which the socket was
	 * paused, and whatever it read from then on would not be carried.
	 */
	deliverHeldBack(): void {
		if (this.socket.readableLength > 0) {
			while (this.socket.read() !== null) {
				// Each chunk read was just emitted as `data`.
			}
		}
		stopHandle(this.socket);
	}

	/**
	 * Stop taking bytes from the kernel at all. Pausing a Node socket only stops delivering: it
	 * keeps reading up to its high-water mark into its buffer. Stopping the handle too leaves a
	 * peer's unread requests in the kernel, where its own socket buffer holds it back, and where a
	 * live-update successor sharing the socket finds them.
	 */
	pause(): void {
		this.paused = true;
		// Standing by, nothing is read: the stream stays flowing for `resume`.
		if (!this.standingBy) this.socket.pause();
		stopHandle(this.socket);
	}

	resume(): void {
		this.paused = false;
		this.standingBy = false;
		const handle = socketHandle(this.socket);
		if (handle !== undefined && handle.reading === false) {
			handle.reading = true;
			handle.readStart?.();
		}
		// Already flowing (the usual case, and standing by), this costs nothing.
		this.socket.resume();
	}

	pendingOutput(): Buffer {
		return this.queued === 0 ? EMPTY : Buffer.concat(this.queue, this.queued);
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

interface StreamHandle {
	reading?: boolean;
	readStart?: () => number;
	readStop?: () => number;
}

function socketHandle(socket: Socket): StreamHandle | undefined {
	return (socket as unknown as { _handle?: StreamHandle })._handle;
}

/** Stop taking bytes from the kernel, whatever the stream's state (see `pause`). */
function stopHandle(socket: Socket): void {
	const handle = socketHandle(socket);
	if (handle?.reading) {
		handle.reading = false;
		handle.readStop?.();
	}
}
