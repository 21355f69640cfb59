/**
 * A minimal xenstore client speaking raw frames, for tests that must see exact error names and
 * every watch event: one request at a time or pipelined, replies matched in order, events kept
 * apart. Deliberately not the project's client library: it checks the daemon, not itself.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameReader } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { splitStrings } from '../../src/protocol/payload.ts';

export { MessageType };

export interface Reply {
	type: number;
	reqId: number;
	txId: number;
	payload: Buffer;
	/** The error name when the reply is an ERROR, else undefined. */
	error: string | undefined;
}

export interface WatchEvent {
	path: string;
	token: string;
}

/** NUL-terminated strings, the usual request payload. */
export function strings(...parts: string[]): Buffer {
	return Buffer.from(parts.map((p) => `${p}\0`).join(''), 'latin1');
}

export class RawClient {
	private readonly sock: Socket;
	private readonly reader = new FrameReader();
	private nextReqId = 1;
	private readonly pending: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
	private queued: WatchEvent[] = [];
	private closedReason: string | undefined;
	readonly closed: Promise<void>;

	private constructor(sock: Socket) {
		this.sock = sock;
		this.closed = new Promise((resolve) => sock.once('close', () => resolve()));
		sock.on('data', (chunk: Buffer) => this.receive(chunk));
		sock.on('error', (e) => this.fail(e.message));
		sock.on('close', () => this.fail('connection closed'));
	}

	/** Connect to a daemon or emulated-domain socket, retrying briefly while it is being created. */
	static async connect(path: string, ms = 5000): Promise<RawClient> {
		const deadline = Date.now() + ms;
		for (;;) {
			try {
				const sock = await new Promise<Socket>((resolve, reject) => {
					const s = connect(path);
					s.once('connect', () => resolve(s));
					s.once('error', reject);
				});
				return new RawClient(sock);
			} catch (e) {
				if (Date.now() > deadline) throw new Error(`cannot connect to ${path}: ${(e as Error).message}`);
				await new Promise((r) => setTimeout(r, 10));
			}
		}
	}

	get isClosed(): boolean {
		return this.closedReason !== undefined;
	}

	private receive(chunk: Buffer): void {
		this.reader.push(chunk);
		for (let f = this.reader.next(); f !== undefined; f = this.reader.next()) {
			const payload = Buffer.from(f.payload);
			if (f.type === MessageType.WATCH_EVENT) {
				const [path = '', token = ''] = splitStrings(payload);
				this.queued.push({ path, token });
				continue;
			}
			const waiter = this.pending.shift();
			if (waiter === undefined) throw new Error(`unexpected reply of type ${f.type}`);
			const error = f.type === MessageType.ERROR ? splitStrings(payload)[0] : undefined;
			waiter.resolve({ type: f.type, reqId: f.reqId, txId: f.txId, payload, error });
		}
	}

	private fail(reason: string): void {
		this.closedReason ??= reason;
		for (const w of this.pending.splice(0)) w.reject(new Error(reason));
	}

	/** Send one request; the reply comes in order. */
	request(type: number, payload: Buffer | string, txId = 0): Promise<Reply> {
		if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));
		const reqId = this.nextReqId++;
		return new Promise((resolve, reject) => {
			this.pending.push({ resolve, reject });
			this.sock.write(encodeFrame(type, reqId, txId, payload));
		});
	}

	/** A request whose outcome is compared by name: the error name, or `OK` for any success. */
	async outcome(type: number, payload: Buffer | string, txId = 0): Promise<string> {
		const r = await this.request(type, payload, txId);
		return r.error ?? 'OK';
	}

	/** A request that must succeed: its reply payload; throws with the error name otherwise. */
	async ok(type: number, payload: Buffer | string, txId = 0): Promise<Buffer> {
		const r = await this.request(type, payload, txId);
		if (r.error !== undefined) throw new Error(`request type ${type} failed with ${r.error}`);
		return r.payload;
	}

	read(path: string, txId = 0): Promise<Reply> {
		return this.request(MessageType.READ, strings(path), txId);
	}

	write(path: string, value: string, txId = 0): Promise<Reply> {
		return this.request(MessageType.WRITE, Buffer.from(`${path}\0${value}`, 'latin1'), txId);
	}

	setPerms(path: string, perms: string[], txId = 0): Promise<Reply> {
		return this.request(MessageType.SET_PERMS, strings(path, ...perms), txId);
	}

	async getPerms(path: string): Promise<string[]> {
		return splitStrings(await this.ok(MessageType.GET_PERMS, strings(path)));
	}

	async watch(path: string, token: string, depth?: number): Promise<string> {
		const args = depth === undefined ? [path, token] : [path, token, String(depth)];
		return this.outcome(MessageType.WATCH, strings(...args));
	}

	async startTransaction(): Promise<number> {
		return Number(splitStrings(await this.ok(MessageType.TRANSACTION_START, strings('')))[0]);
	}

	endTransaction(txId: number, commit: boolean): Promise<string> {
		return this.outcome(MessageType.TRANSACTION_END, strings(commit ? 'T' : 'F'), txId);
	}

	/**
	 * A round trip. The daemon handles requests in order and queues a connection's events before
	 * the replies that follow them, so after `sync` every event caused by a request already
	 * answered on any connection has arrived.
	 */
	async sync(): Promise<void> {
		await this.ok(MessageType.GET_DOMAIN_PATH, strings('0'));
	}

	/** Sync, then hand over (and forget) the events received so far. */
	async events(): Promise<WatchEvent[]> {
		if (this.closedReason === undefined) await this.sync();
		const out = this.queued;
		this.queued = [];
		return out;
	}

	close(): void {
		this.sock.destroy();
	}
}
