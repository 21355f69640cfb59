import { MessageType } from '../protocol/message-type.ts';
import { splitStrings } from '../protocol/payload.ts';
import { type Call, checkReply } from './call.ts';
import { Connection, type Reply } from './connection.ts';
import type { ConnectionClosedError } from './errors.ts';
import { NodeOperations } from './node-ops.ts';
import { argsPayload, replyNumber, replyString } from './payload.ts';
import { defaultSocketPath } from './socket-path.ts';
import { runTransaction, Transaction, type TransactionOptions } from './transaction.ts';
import { DEFAULT_WATCH_BUFFER, Watch } from './watch.ts';

export interface ConnectOptions {
	/** The daemon's socket; by default found as libxenstore finds it (see socket-path.ts). */
	path?: string;
	/** Give up connecting after this long; 10 s by default. */
	timeoutMs?: number;
	/** Events each watch may hold unconsumed before it overflows (see watch.ts); 1024 by default. */
	watchBuffer?: number;
}

/** Connect to a xenstore daemon's Unix socket. */
export async function connect(options: ConnectOptions = {}): Promise<XenstoreClient> {
	const path = options.path ?? defaultSocketPath();
	const watchBuffer = options.watchBuffer ?? DEFAULT_WATCH_BUFFER;
	if (!Number.isInteger(watchBuffer) || watchBuffer < 1)
		throw new RangeError('watchBuffer must be at least 1');
	const watches = new Map<string, Watch>();
	const connection = await Connection.open(
		path,
		{
			watchEvent: (payload) => routeEvent(watches, payload),
			closed: (error, byClient) => endWatches(watches, byClient ? undefined : error),
		},
		options.timeoutMs ?? 10_000,
	);
	return new XenstoreClient(connection, watches, watchBuffer);
}

function routeEvent(watches: Map<string, Watch>, payload: Buffer): void {
	const [path, token] = splitStrings(payload);
	if (path === undefined || token === undefined) return;
	// Events for a token no watch has anymore are late events of a removed watch: nobody wants them.
	watches.get(token)?.deliver({ path, token });
}

function endWatches(watches: Map<string, Watch>, error: ConnectionClosedError | undefined): void {
	for (const w of watches.values()) w.finish(error);
	watches.clear();
}

/**
 * A connection to a xenstore daemon, with every operation of the protocol as a typed method.
 * Requests may be issued concurrently: they are pipelined on the one socket. Failures reject with
 * XenstoreError (its `code` the error name the daemon sent), ConnectionClosedError when the
 * connection is gone, TypeError or RangeError for arguments that cannot be sent.
 */
export class XenstoreClient extends NodeOperations {
	private readonly connection: Connection;
	private readonly watches: Map<string, Watch>;
	private readonly watchBuffer: number;
	private nextToken = 1;

	constructor(connection: Connection, watches: Map<string, Watch>, watchBuffer: number) {
		const call: Call = async (type, txId, payload, what) =>
			checkReply(await connection.send(type, txId, payload), what);
		super(call, 0);
		this.connection = connection;
		this.watches = watches;
		this.watchBuffer = watchBuffer;
	}

	/** Send any request, well-formed or not, and resolve with the reply as sent (ERROR included). */
	async request(type: number, payload: Buffer | string, txId = 0): Promise<Reply> {
		return this.connection.send(
			type,
			txId,
			typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload,
		);
	}

	/**
	 * Watch `path` (and below it, `depth` levels at most when given). The daemon's first event, for
	 * the path itself, is the first one iterated. Without a token, a fresh one is made up; tokens
	 * identify watches within this client, so one already in use is refused.
	 */
	async watch(path: string, token?: string, depth?: number): Promise<Watch> {
		const tok = token ?? `tsxs-watch-${this.nextToken++}`;
		if (this.watches.has(tok)) throw new TypeError(`watch ${path}: token ${tok} is in use by another watch`);
		const args: (string | number)[] = [path, tok];
		if (depth !== undefined) {
			if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`watch ${path}: depth ${depth}`);
			args.push(depth);
		}
		const what = `watch ${path} ${tok}`;
		const payload = argsPayload(args, what);
		const watch = new Watch(path, tok, this.watchBuffer, () => this.forgetWatch(path, tok));
		// Registered before the request goes out: the first event follows the reply immediately.
		this.watches.set(tok, watch);
		try {
			await this.call(MessageType.WATCH, 0, payload, what);
		} catch (err) {
			this.watches.delete(tok);
			throw err;
		}
		return watch;
	}

	/** Remove a watch by path and token, as the protocol does; a Watch of this client also ends. */
	async unwatch(path: string, token: string): Promise<void> {
		const what = `unwatch ${path} ${token}`;
		await this.call(MessageType.UNWATCH, 0, argsPayload([path, token], what), what);
		const watch = this.watches.get(token);
		if (watch && watch.path === path) {
			this.watches.delete(token);
			watch.forget();
		}
	}

	private async forgetWatch(path: string, token: string): Promise<void> {
		if (this.watches.get(token)?.path !== path) return;
		this.watches.delete(token);
		if (this.connection.closed) return;
		const what = `unwatch ${path} ${token}`;
		await this.call(MessageType.UNWATCH, 0, argsPayload([path, token], what), what);
	}

	/** Start a transaction; its operations see a snapshot until commit() or abort(). */
	async transactionStart(): Promise<Transaction> {
		const reply = await this.call(
			MessageType.TRANSACTION_START,
			0,
			argsPayload([''], 'start'),
			'start transaction',
		);
		return new Transaction(this.call, replyNumber(reply, 'start transaction'));
	}

	/** End transaction `txId`: commit (EAGAIN on conflict) or discard. */
	async transactionEnd(txId: number, commit: boolean): Promise<void> {
		return new Transaction(this.call, txId)[commit ? 'commit' : 'abort']();
	}

	/** Run `body` in a transaction, starting over on EAGAIN (see runTransaction). */
	async transaction<T>(body: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
		return runTransaction(() => this.transactionStart(), body, options);
	}

	/** The home path of a domain, /local/domain/<domid>. */
	async getDomainPath(domid: number): Promise<string> {
		return replyString(await this.domainRequest(MessageType.GET_DOMAIN_PATH, 'get domain path', [domid]));
	}

	async isDomainIntroduced(domid: number): Promise<boolean> {
		const reply = replyString(
			await this.domainRequest(MessageType.IS_DOMAIN_INTRODUCED, 'is introduced', [domid]),
		);
		if (reply !== 'T' && reply !== 'F') throw new Error(`is introduced ${domid}: daemon replied ${reply}`);
		return reply === 'T';
	}

	/** Tell the daemon about a domain's ring page (`gfn`) and event channel. */
	async introduce(domid: number, gfn: number, evtchn: number): Promise<void> {
		await this.domainRequest(MessageType.INTRODUCE, 'introduce', [domid, gfn, evtchn]);
	}

	async release(domid: number): Promise<void> {
		await this.domainRequest(MessageType.RELEASE, 'release', [domid]);
	}

	async resume(domid: number): Promise<void> {
		await this.domainRequest(MessageType.RESUME, 'resume', [domid]);
	}

	/** Let `domid` act with the rights of `target`. */
	async setTarget(domid: number, target: number): Promise<void> {
		await this.domainRequest(MessageType.SET_TARGET, 'set target', [domid, target]);
	}

	/** Drop every watch and transaction of this connection; this client's Watches end. */
	async resetWatches(): Promise<void> {
		await this.call(MessageType.RESET_WATCHES, 0, argsPayload([''], 'reset watches'), 'reset watches');
		for (const w of this.watches.values()) w.forget();
		this.watches.clear();
	}

	/** Feature bits of domain `domid`, or the ones the daemon offers this connection without it. */
	async getFeature(domid?: number): Promise<number> {
		const args = domid === undefined ? [] : [domid];
		return replyNumber(await this.domainRequest(MessageType.GET_FEATURE, 'get feature', args), 'get feature');
	}

	async setFeature(domid: number, features: number): Promise<void> {
		await this.domainRequest(MessageType.SET_FEATURE, 'set feature', [domid, features]);
	}

	/** Quota `name` of domain `domid`, or its global default without a domid; 0 means unlimited. */
	async getQuota(name: string, domid?: number): Promise<number> {
		const args = domid === undefined ? [name] : [domid, name];
		return replyNumber(await this.domainRequest(MessageType.GET_QUOTA, 'get quota', args), 'get quota');
	}

	/** The names of the quotas the daemon knows. */
	async quotaNames(): Promise<string[]> {
		const reply = replyString(await this.domainRequest(MessageType.GET_QUOTA, 'get quota', []));
		return reply.split(' ').filter((n) => n.length > 0);
	}

	/** Set quota `name` of domain `domid`, or its global default without a domid. */
	async setQuota(name: string, value: number, domid?: number): Promise<void> {
		const args = domid === undefined ? [name, value] : [domid, name, value];
		await this.domainRequest(MessageType.SET_QUOTA, 'set quota', args);
	}

	/** A CONTROL command (implementation-defined); resolves with the reply's text. */
	async control(command: string, ...args: string[]): Promise<string> {
		return replyString(await this.domainRequest(MessageType.CONTROL, 'control', [command, ...args]));
	}

	/** Close the connection: waiting requests reject, watches end normally. */
	close(): void {
		this.connection.close();
	}

	async [Symbol.asyncDispose](): Promise<void> {
		this.close();
	}

	private async domainRequest(
		type: number,
		verb: string,
		args: readonly (string | number)[],
	): Promise<Buffer> {
		const what = [verb, ...args].join(' ');
		return this.call(type, 0, argsPayload(args, what), what);
	}
}
