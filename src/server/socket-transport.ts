import type { Socket } from 'node:net';
import { readIntoSharedBuffer } from './socket-reads.ts';
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
	/** Paused by the connection: the handle reads nothing until `resume`. */
	private paused = false;
	private events: TransportEvents | undefined;

	/**
	 * The descriptor, read once: live update asks for it thousands of times while clients wait,
	 * and asking the handle costs a call into Node's C++ each time.
	 */
	private readonly descriptor: number;

	constructor(socket: Socket) {
		this.socket = socket;
		this.descriptor = (socketHandle(socket) as { fd?: number } | undefined)?.fd ?? -1;
	}

	/** The file descriptor, for live update's descriptor passing (-1 once closed). */
	get fd(): number {
		return this.socket.destroyed ? -1 : this.descriptor;
	}

	/**
	 * Start delivering input, unless paused. The socket may come made paused (accepted so, or
	 * inherited in a live update); one Node made and started before it reached the daemon (sent
	 * over IPC) may hold input in its stream, which goes first.
	 */
	attach(events: TransportEvents): void {
		this.events = events;
		if (!readIntoSharedBuffer(this.socket, (chunk) => events.data(chunk))) {
			this.close('peer closed the connection before it was served');
			return;
		}
		while (this.socket.readableLength > 0) {
			const held: Buffer | null = this.socket.read();
			if (held === null) break;
			events.data(held);
		}
		if (this.paused) stopReadingSocket(this.socket);
		else startHandle(this.socket);
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

	/** Input reaches the connection as soon as it is read: nothing is held back here. */
	deliverHeldBack(): void {
		stopReadingSocket(this.socket);
	}

	/**
	 * Stop taking bytes from the kernel. A peer's unread requests stay there, where its own socket
	 * buffer holds it back, and where a live-update successor sharing the socket finds them.
	 */
	pause(): void {
		this.paused = true;
		stopReadingSocket(this.socket);
	}

	resume(): void {
		this.paused = false;
		startHandle(this.socket);
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
	return (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
}

function startHandle(socket: Socket): void {
	const handle = socketHandle(socket);
	// No handle once the socket is destroyed: nothing to start.
	if (handle && handle.reading !== true) {
		handle.reading = true;
		handle.readStart?.();
	}
}

/**
 * Stop the kernel's bytes reaching this socket object. Node starts reading a socket it accepts at
 * once, into the socket's stream, even with nobody listening for them: a socket this process hands
 * to another must stop first, or bytes meant for the other may be read here (and lost with it).
 */
export function stopReadingSocket(socket: Socket): void {
	const handle = socketHandle(socket);
	if (handle?.reading) {
		handle.reading = false;
		handle.readStop?.();
	}
}
