/**
 * Run one scripted case against one daemon and record what came back, step by step, as text lines
 * that can be compared between daemons: every reply, watch event and disconnection, on every
 * connection of the case. Transaction ids and generation counts, which daemons choose freely, are
 * replaced by labels in order of appearance (T1, T2; G1, G2) so that equal structure compares equal.
 */
import { createHash } from 'node:crypto';
import type { Frame } from '../../src/protocol/frame.ts';
import { MessageType, messageTypeName } from '../../src/protocol/message-type.ts';
import { RawConnection } from './raw-connection.ts';

/** A header tx_id: a number, or `Tn`, the id the daemon gave the case's n-th transaction. */
export type TxRef = number | `T${number}`;
/** Payload bytes; in a string, `$` stands for the case's own subtree and bytes are latin1. */
export type PayloadSpec = string | Buffer | ((base: string) => string | Buffer);

export interface RequestStep {
	/** Connection index, 0 by default. */
	c?: number;
	type: number;
	tx?: TxRef;
	payload: PayloadSpec;
}

/** Bytes written as they are, for framing errors. `expect` says what to wait for afterwards. */
export interface RawStep {
	c?: number;
	raw: PayloadSpec;
	expect: 'reply' | 'close' | 'nothing';
	/** The bytes end inside a frame: don't use this connection for synchronisation until it is completed. */
	partial?: boolean;
}

/** The client side closes connection `c`. */
export interface HangUpStep {
	c: number;
	hangUp: true;
}

export type Step = RequestStep | RawStep | HangUpStep;

/** What one step produced, one line per frame received or connection lost. */
export type StepRecord = string[];

const SYNC_REQ_ID = 0x7fff0000;
const REPLY_TIMEOUT_MS = 1500;

export function resolvePayload(spec: PayloadSpec, base: string): Buffer {
	const v = typeof spec === 'function' ? spec(base) : spec;
	return typeof v === 'string' ? Buffer.from(v.replaceAll('$', base), 'latin1') : v;
}

/** Printable ASCII as is, NUL as \0, anything else as \xHH; long payloads abbreviated with a hash. */
export function escapeBytes(b: Buffer): string {
	let s = '';
	const shown = b.length > 200 ? b.subarray(0, 120) : b;
	for (const c of shown) {
		if (c === 0) s += '\\0';
		else if (c === 0x5c) s += '\\\\';
		else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
		else s += `\\x${c.toString(16).padStart(2, '0')}`;
	}
	if (shown !== b) {
		const hash = createHash('sha256').update(b).digest('hex').slice(0, 16);
		s += `...(${b.length} bytes, sha256 ${hash})`;
	}
	return `"${s}"`;
}

class Labels {
	private readonly map = new Map<string, string>();
	private readonly prefix: string;
	constructor(prefix: string) {
		this.prefix = prefix;
	}
	label(key: string): string {
		let l = this.map.get(key);
		if (!l) {
			l = `${this.prefix}${this.map.size + 1}`;
			this.map.set(key, l);
		}
		return l;
	}
}

/** One daemon's run of one case. */
export class CaseRun {
	private readonly conns: RawConnection[] = [];
	private readonly seen: number[] = [];
	private readonly partial = new Set<number>();
	private readonly wasClosed = new Set<number>();
	/** Request ids of synchronisation requests not answered yet, by connection. */
	private readonly syncIds = new Set<string>();
	/** Connections whose last request got no reply in time. */
	private readonly noReply = new Set<number>();
	private readonly nextReqId: number[] = [];
	/** Real transaction ids by order of TRANSACTION_START replies: [conn, id]. */
	private readonly txs: Array<[number, number]> = [];
	private readonly txLabels = new Labels('T');
	private readonly genLabels = new Labels('G');
	private readonly base: string;
	/** The tx_id each connection's outstanding request was sent with, as written in the case. */
	private readonly sentTx = new Map<string, string>();

	private constructor(base: string) {
		this.base = base;
	}

	static async open(socket: string, conns: number, base: string): Promise<CaseRun> {
		const run = new CaseRun(base);
		for (let i = 0; i < conns; i++) {
			run.conns.push(await RawConnection.open(socket));
			run.seen.push(0);
			run.nextReqId.push(1);
		}
		return run;
	}

	close(): void {
		for (const c of this.conns) c.close();
	}

	async step(step: Step, index: number): Promise<StepRecord> {
		const ci = step.c ?? 0;
		const conn = this.conns[ci];
		if (!conn) throw new Error(`step ${index}: no connection ${ci}`);
		if ('hangUp' in step) {
			conn.close();
			this.wasClosed.add(ci);
		} else if ('raw' in step) {
			const before = conn.frames.length;
			conn.write(resolvePayload(step.raw, this.base));
			if (step.partial) this.partial.add(ci);
			else this.partial.delete(ci);
			if (step.expect === 'reply') {
				await conn.waitFor(
					(f) => f.slice(before).some((x) => x.type !== MessageType.WATCH_EVENT),
					REPLY_TIMEOUT_MS,
				);
			} else if (step.expect === 'close') {
				await conn.waitClosed(REPLY_TIMEOUT_MS);
			}
		} else {
			const reqId = this.nextReqId[ci]!++;
			const [txId, txText] = this.resolveTx(step.tx ?? 0);
			this.sentTx.set(`${ci}:${reqId}`, txText);
			conn.send(step.type, reqId, txId, resolvePayload(step.payload, this.base));
			const got = await conn.waitFor(
				(f) => f.some((x) => x.reqId === reqId && x.type !== MessageType.WATCH_EVENT),
				REPLY_TIMEOUT_MS,
			);
			if (!got && !conn.closed) this.noReply.add(ci);
		}
		await this.sync(index);
		return this.collect();
	}

	private resolveTx(ref: TxRef): [number, string] {
		if (typeof ref === 'number') return [ref, String(ref)];
		const n = Number(ref.slice(1));
		const tx = this.txs[n - 1];
		// A transaction that this daemon refused to start: send an id no daemon hands out first.
		return [tx ? tx[1] : 0xfffffff0, ref];
	}

	/** A round trip on every usable connection: everything the daemon sent before has arrived. */
	private async sync(index: number): Promise<void> {
		await Promise.all(
			this.conns.map(async (conn, ci) => {
				if (conn.closed || this.partial.has(ci)) return;
				const id = SYNC_REQ_ID + index;
				this.syncIds.add(`${ci}:${id}`);
				conn.send(MessageType.GET_DOMAIN_PATH, id, 0, '0\0');
				await conn.waitFor(
					(f) => f.some((x) => x.reqId === id && x.type !== MessageType.WATCH_EVENT),
					REPLY_TIMEOUT_MS,
				);
			}),
		);
	}

	private collect(): StepRecord {
		const lines: string[] = [];
		this.conns.forEach((conn, ci) => {
			const fresh = conn.frames.slice(this.seen[ci]);
			this.seen[ci] = conn.frames.length;
			for (const f of fresh) {
				if (f.type !== MessageType.WATCH_EVENT && this.syncIds.delete(`${ci}:${f.reqId}`)) continue;
				lines.push(`c${ci} ${this.render(ci, f)}`);
			}
			if (this.noReply.delete(ci)) lines.push(`c${ci} (no reply)`);
			if (conn.closed && !this.wasClosed.has(ci)) {
				this.wasClosed.add(ci);
				lines.push(`c${ci} closed`);
			}
		});
		return lines;
	}

	private render(ci: number, f: Frame): string {
		const type = messageTypeName(f.type) ?? `type${f.type}`;
		let payload = f.payload;
		if (f.type === MessageType.TRANSACTION_START && /^[0-9]+\0$/.test(payload.toString('latin1'))) {
			const id = Number(payload.toString('latin1', 0, payload.length - 1));
			this.txs.push([ci, id]);
			payload = Buffer.from(`${this.txLabels.label(`${ci}:${id}`)}\0`);
		}
		if (f.type === MessageType.DIRECTORY_PART) {
			const nul = payload.indexOf(0);
			if (nul > 0) {
				const gen = this.genLabels.label(payload.toString('latin1', 0, nul));
				payload = Buffer.concat([Buffer.from(gen), payload.subarray(nul)]);
			}
		}
		const sent = this.sentTx.get(`${ci}:${f.reqId}`);
		const tx = f.type === MessageType.WATCH_EVENT ? String(f.txId) : this.describeTx(f, sent);
		return `${type}#${f.reqId} tx=${tx} ${escapeBytes(payload)}`;
	}

	/** A reply should echo the tx_id sent: then print it as the case wrote it. */
	private describeTx(f: Frame, sent: string | undefined): string {
		if (sent === undefined) return String(f.txId);
		const [id] = this.resolveTx(/^T[0-9]+$/.test(sent) ? (sent as `T${number}`) : Number(sent));
		return f.txId === id ? sent : `?${f.txId}(not the ${sent} sent)`;
	}
}
