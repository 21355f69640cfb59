import { HEADER_SIZE, readUint32, writeHeader } from './header.ts';
import { PAYLOAD_MAX } from './limits.ts';

/** One whole message: header fields and its payload. */
export interface Frame {
	type: number;
	reqId: number;
	txId: number;
	/** A view into the bytes received: copy whatever must outlive the request. */
	payload: Buffer;
}

/** A peer announced a payload longer than the protocol allows; its connection must be closed. */
export class PayloadTooLongError extends Error {
	readonly length: number;
	constructor(length: number) {
		super(`payload of ${length} bytes announced, the limit is ${PAYLOAD_MAX}`);
		this.name = 'PayloadTooLongError';
		this.length = length;
	}
}

/** Encode one message into a fresh buffer. Strings are written byte for byte (latin1). */
export function encodeFrame(type: number, reqId: number, txId: number, payload: Buffer | string): Buffer {
	const len = payload.length;
	const out = Buffer.allocUnsafe(HEADER_SIZE + len);
	writeHeader(out, 0, type, reqId, txId, len);
	if (typeof payload === 'string') out.write(payload, HEADER_SIZE, 'latin1');
	else payload.copy(out, HEADER_SIZE);
	return out;
}

const EMPTY = Buffer.alloc(0);

/**
 * A frame read. A class rather than an object literal: V8 gives literals that begin with the same
 * property names one layout, so the first migration record a live update made (`{ type:
 * 'DOMAIN_DATA', ... }`) widened every frame's `type` from small integer to any value, and threw
 * the optimized code that reads frames back to the interpreter (seen with --trace-deopt).
 */
class ReadFrame implements Frame {
	type: number;
	reqId: number;
	txId: number;
	payload: Buffer;

	constructor(type: number, reqId: number, txId: number, payload: Buffer) {
		this.type = type;
		this.reqId = reqId;
		this.txId = txId;
		this.payload = payload;
	}
}

/**
 * Cuts a byte stream into frames, however it was split into chunks: a header across two reads,
 * several messages in one read, one message across many. Whole frames inside one chunk are
 * returned as views of it, without copying (valid until the chunk's memory is reused, see
 * `detach`). Bytes not yet consumed stay here (see `unconsumed`), so a caller may stop pulling
 * frames at any point and resume later.
 */
export class FrameReader {
	private buf: Buffer = EMPTY;
	private off = 0;
	/** `buf` is the caller's chunk itself, not a copy made here (see `detach`). */
	private borrowed = false;
	private readonly maxPayload: number;

	constructor(maxPayload = PAYLOAD_MAX) {
		this.maxPayload = maxPayload;
	}

	push(chunk: Buffer): void {
		if (chunk.length === 0) return;
		if (this.off >= this.buf.length) {
			this.buf = chunk;
			this.borrowed = true;
		} else {
			this.buf = Buffer.concat([this.buf.subarray(this.off), chunk]);
			this.borrowed = false;
		}
		this.off = 0;
	}

	/**
	 * The caller is about to reuse the memory of the chunks it pushed (a read buffer shared by all
	 * connections): the bytes not consumed yet are copied, and frames returned before are no longer
	 * valid. Usually nothing is left and nothing is copied.
	 */
	detach(): void {
		if (!this.borrowed) return;
		this.buf = this.off < this.buf.length ? Buffer.from(this.buf.subarray(this.off)) : EMPTY;
		this.off = 0;
		this.borrowed = false;
	}

	/**
	 * The next whole frame, or undefined until more bytes arrive.
	 * Throws PayloadTooLongError as soon as a header announces an oversized payload.
	 */
	next(): Frame | undefined {
		const available = this.buf.length - this.off;
		if (available < HEADER_SIZE) return undefined;
		const len = readUint32(this.buf, this.off + 12);
		if (len > this.maxPayload) throw new PayloadTooLongError(len);
		if (available < HEADER_SIZE + len) return undefined;
		const start = this.off;
		this.off = start + HEADER_SIZE + len;
		return new ReadFrame(
			readUint32(this.buf, start),
			readUint32(this.buf, start + 4),
			readUint32(this.buf, start + 8),
			this.buf.subarray(start + HEADER_SIZE, this.off),
		);
	}

	/** The bytes received but not yet returned as a frame (a partly received request). */
	unconsumed(): Buffer {
		return this.buf.subarray(this.off);
	}

	get pendingLength(): number {
		return this.buf.length - this.off;
	}
}
