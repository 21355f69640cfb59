/**
 * A bare socket to a daemon for conformance tests: sends any bytes, however malformed, and records
 * every frame received and whether the daemon closed the connection. Nothing is interpreted.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, type Frame, FrameReader } from '../../src/protocol/frame.ts';

function connectOnce(path: string): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const s = connect(path);
		s.once('error', reject);
		s.once('connect', () => {
			s.off('error', reject);
			resolve(s);
		});
	});
}

export class RawConnection {
	readonly frames: Frame[] = [];
	/** Set when the daemon closed the socket (or it broke). */
	closed = false;
	private readonly socket: Socket;
	private readonly reader = new FrameReader(Number.MAX_SAFE_INTEGER);
	private readonly listeners = new Set<() => void>();

	private constructor(socket: Socket) {
		this.socket = socket;
		socket.on('data', (chunk: Buffer) => {
			this.reader.push(chunk);
			for (let f = this.reader.next(); f; f = this.reader.next()) {
				this.frames.push({ ...f, payload: Buffer.from(f.payload) });
			}
			this.notify();
		});
		socket.on('error', () => undefined);
		socket.on('close', () => {
			this.closed = true;
			this.notify();
		});
	}

	/**
	 * Connect; a daemon's listen backlog may be full for a moment (C xenstored's is 1), which a
	 * non-blocking connect reports as EAGAIN: try again for a while, as a blocking connect would wait.
	 */
	static async open(path: string): Promise<RawConnection> {
		const deadline = Date.now() + 5000;
		for (;;) {
			try {
				return new RawConnection(await connectOnce(path));
			} catch (err) {
				if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) throw err;
				await new Promise((r) => setTimeout(r, 5));
			}
		}
	}

	write(bytes: Buffer): void {
		if (!this.closed) this.socket.write(bytes);
	}

	send(type: number, reqId: number, txId: number, payload: Buffer | string): void {
		this.write(
			encodeFrame(type, reqId, txId, typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload),
		);
	}

	/**
	 * Resolve once `done` holds for the frames received so far, or the connection closed, or `ms`
	 * passed; returns whether `done` held.
	 */
	waitFor(done: (frames: readonly Frame[]) => boolean, ms: number): Promise<boolean> {
		if (done(this.frames)) return Promise.resolve(true);
		if (this.closed) return Promise.resolve(false);
		return new Promise((resolve) => {
			const check = () => {
				const ok = done(this.frames);
				if (ok || this.closed) finish(ok);
			};
			const finish = (ok: boolean) => {
				clearTimeout(timer);
				this.listeners.delete(check);
				resolve(ok);
			};
			const timer = setTimeout(() => finish(false), ms);
			this.listeners.add(check);
		});
	}

	/** Resolve once the daemon closes the connection, or after `ms`; returns whether it closed. */
	async waitClosed(ms: number): Promise<boolean> {
		await this.waitFor(() => false, ms);
		return this.closed;
	}

	close(): void {
		this.socket.destroy();
	}

	private notify(): void {
		for (const l of [...this.listeners]) l();
	}
}
