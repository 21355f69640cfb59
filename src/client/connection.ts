import { createConnection, type Socket } from 'node:net';
import { encodeFrame, FrameReader } from '../protocol/frame.ts';
import { MessageType } from '../protocol/message-type.ts';
import { ConnectionClosedError } from './errors.ts';

/** A reply exactly as the daemon sent it: ERROR replies included, nothing interpreted. */
export interface Reply {
	type: number;
	reqId: number;
	txId: number;
	payload: Buffer;
}

interface Pending {
	resolve(reply: Reply): void;
	reject(error: Error): void;
}

export interface ConnectionHandlers {
	/** A WATCH_EVENT arrived; its payload is `path\0token\0`. */
	watchEvent(payload: Buffer): void;
	/** The connection ended; `byClient` when close() was called, else `error` says why. */
	closed(error: ConnectionClosedError, byClient: boolean): void;
}

const REQ_ID_LIMIT = 0x1_0000_0000;

/**
 * One socket to a xenstore daemon. Requests are pipelined: each gets a request id not used by any
 * request still waiting, and replies are matched to requests by that id, in whatever order they come.
 * Watch events (request id 0) go to the handler. The first protocol violation by the daemon (an
 * oversized or unmatched reply) closes the connection, since nothing after it can be trusted.
 */
function connectOnce(path: string, timeoutMs: number): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const socket = createConnection(path);
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`xenstore: no answer from ${path} within the timeout`));
		}, timeoutMs);
		socket.once('error', (err) => {
			clearTimeout(timer);
			reject(new Error(`xenstore: cannot connect to ${path}: ${err.message}`, { cause: err }));
		});
		socket.once('connect', () => {
			clearTimeout(timer);
			socket.removeAllListeners('error');
			resolve(socket);
		});
	});
}

export class Connection {
	private readonly socket: Socket;
	private readonly reader = new FrameReader();
	private readonly pending = new Map<number, Pending>();
	private readonly handlers: ConnectionHandlers;
	private nextReqId = 1;
	private closedError: ConnectionClosedError | undefined;

	private constructor(socket: Socket, handlers: ConnectionHandlers) {
		this.socket = socket;
		this.handlers = handlers;
		socket.on('data', (chunk: Buffer) => this.receive(chunk));
		socket.on('error', (err) => this.shutDown(new ConnectionClosedError(err.message, { cause: err }), false));
		socket.on('close', () => this.shutDown(new ConnectionClosedError('the daemon closed the socket'), false));
	}

	/**
	 * Connect to the daemon's Unix socket at `path`. A full listen backlog (C xenstored's is 1)
	 * makes a non-blocking connect fail with EAGAIN where libxenstore's blocking connect would wait:
	 * so try again until the timeout.
	 */
	static async open(path: string, handlers: ConnectionHandlers, timeoutMs: number): Promise<Connection> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			try {
				return new Connection(await connectOnce(path, deadline - Date.now()), handlers);
			} catch (err) {
				const busy = (err as { cause?: NodeJS.ErrnoException }).cause?.code === 'EAGAIN';
				if (!busy || Date.now() >= deadline) throw err;
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
		}
	}

	get closed(): boolean {
		return this.closedError !== undefined;
	}

	/** Send one request and resolve with its reply, whatever its type. */
	send(type: number, txId: number, payload: Buffer): Promise<Reply> {
		if (this.closedError) return Promise.reject(this.closedError);
		const reqId = this.allocateReqId();
		return new Promise<Reply>((resolve, reject) => {
			this.pending.set(reqId, { resolve, reject });
			this.socket.write(encodeFrame(type, reqId, txId, payload));
		});
	}

	/** Close the socket: waiting requests reject, watches end. */
	close(): void {
		this.shutDown(new ConnectionClosedError('closed by the client'), true);
	}

	private allocateReqId(): number {
		// Ids are 32-bit and wrap; 0 is what watch events carry, so it is never used for a request.
		for (;;) {
			const id = this.nextReqId;
			this.nextReqId = (id + 1) % REQ_ID_LIMIT || 1;
			if (!this.pending.has(id)) return id;
		}
	}

	private receive(chunk: Buffer): void {
		this.reader.push(chunk);
		try {
			for (let frame = this.reader.next(); frame; frame = this.reader.next()) {
				const payload = Buffer.from(frame.payload);
				if (frame.type === MessageType.WATCH_EVENT) {
					this.handlers.watchEvent(payload);
					continue;
				}
				const waiting = this.pending.get(frame.reqId);
				if (!waiting) throw new Error(`reply with request id ${frame.reqId}, which no request has`);
				this.pending.delete(frame.reqId);
				waiting.resolve({ type: frame.type, reqId: frame.reqId, txId: frame.txId, payload });
			}
		} catch (err) {
			const reason = `protocol violation by the daemon: ${(err as Error).message}`;
			this.shutDown(new ConnectionClosedError(reason, { cause: err }), false);
		}
	}

	private shutDown(error: ConnectionClosedError, byClient: boolean): void {
		if (this.closedError) return;
		this.closedError = error;
		this.socket.destroy();
		const waiting = [...this.pending.values()];
		this.pending.clear();
		for (const p of waiting) p.reject(error);
		this.handlers.closed(error, byClient);
	}
}
