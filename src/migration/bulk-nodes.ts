/**
 * Committed NODE_DATA records in bulk, straight from a tree walk into bytes and from bytes into a
 * visitor, without a record object, a Buffer or a perms array per node. This is live update's hot
 * path: a store of 200,000 nodes is written and read while every client waits, and there the
 * general codec's per-record allocations cost most of the time (in the garbage collector). The
 * bytes are exactly the codec's (see codec/node.ts): the same layout, padding and checks.
 */
import { type ByteOrder, byteOrder } from './codec/byte-order.ts';
import { clearBytes } from './codec/fields.ts';
import { decodeHeader, encodeHeader, type StreamHeader } from './codec/header.ts';
import { decodeRecord, type EncodeOptions, encodedSize, writeRecord } from './codec/index.ts';
import {
	align8,
	HEADER_BYTES,
	NODE_FIXED_BYTES,
	PERM_FLAG_STALE,
	PERM_LETTERS,
	RECORD_HEADER_BYTES,
	RecordType,
	recordTypeName,
	UINT16_MAX,
} from './constants.ts';
import { EncodeError, type Position, type ProblemHandler, StreamError } from './problems.ts';
import type { MigrationRecord, NodePerm } from './records.ts';
import { isNodePath, StreamValidator } from './validator.ts';

/** The perms of a node as they lie on the wire: 4 bytes each (letter, flags, domid). */
export function encodePerms(perms: readonly NodePerm[], order: ByteOrder): Buffer {
	const out = Buffer.alloc(4 * perms.length);
	perms.forEach((p, i) => {
		out[4 * i] = p.access.charCodeAt(0);
		out[4 * i + 1] = p.stale ? PERM_FLAG_STALE : 0;
		order.putU16(out, 4 * i + 2, p.domid);
	});
	return out;
}

/**
 * A whole stream written in one buffer: records through the codec, and committed nodes through
 * `node`, in the order they are given (the caller keeps C xenstored's order).
 */
export class StreamBuilder {
	private buf: Buffer;
	private used = 0;
	private readonly options: EncodeOptions;
	private readonly order: ByteOrder;

	constructor(options: EncodeOptions, sizeHint = 1 << 20) {
		this.options = options;
		this.order = byteOrder(options.endian);
		this.buf = Buffer.allocUnsafe(Math.max(sizeHint, HEADER_BYTES));
		encodeHeader(options).copy(this.buf, 0);
		this.used = HEADER_BYTES;
	}

	private room(bytes: number): void {
		if (this.used + bytes <= this.buf.length) return;
		const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
		this.buf.copy(grown, 0, 0, this.used);
		this.buf = grown;
	}

	record(record: MigrationRecord): void {
		const size = encodedSize(record, this.options.version);
		this.room(size);
		this.used = writeRecord(record, this.buf, this.used, this.options, this.order, size);
	}

	/** A committed node: `path` and `value` one byte per character (latin1), `perms` from encodePerms. */
	node(path: string, value: string, perms: Buffer): void {
		const body = NODE_FIXED_BYTES + perms.length + path.length + 1 + value.length;
		if (path.length + 1 > UINT16_MAX || value.length > UINT16_MAX || perms.length / 4 > UINT16_MAX) {
			throw new EncodeError('NODE_DATA', `node ${path} does not fit the record's 16-bit lengths`);
		}
		const padded = align8(body);
		this.room(RECORD_HEADER_BYTES + padded);
		const { buf, order } = this;
		let at = this.used;
		order.putU32(buf, at, RecordType.NODE_DATA);
		order.putU32(buf, at + 4, padded);
		at += RECORD_HEADER_BYTES;
		order.putU32(buf, at, 0);
		order.putU32(buf, at + 4, 0);
		order.putU16(buf, at + 8, path.length + 1);
		order.putU16(buf, at + 10, value.length);
		order.putU16(buf, at + 12, 0);
		order.putU16(buf, at + 14, perms.length / 4);
		at += NODE_FIXED_BYTES;
		at += perms.copy(buf, at);
		at += buf.write(path, at, 'latin1');
		buf[at++] = 0;
		at += buf.write(value, at, 'latin1');
		const end = this.used + RECORD_HEADER_BYTES + padded;
		clearBytes(buf, at, end);
		this.used = end;
	}

	finish(): Buffer {
		return this.buf.subarray(0, this.used);
	}
}

export interface StreamVisitor {
	/** The stream's header, before any record. */
	header(header: StreamHeader): void;
	/**
	 * A committed node: path and value one byte per character; its `permCount` perms as on the
	 * wire, 4 bytes each, at `wire[permStart...]` (positions rather than a view: no allocation).
	 */
	node(path: string, value: string, wire: Buffer, permStart: number, permCount: number): void;
	/** Any other record, checked against the stream's rules. */
	record(record: MigrationRecord): void;
}

const LETTER_BY_CODE = new Map(PERM_LETTERS.map((l) => [l.charCodeAt(0), l] as const));

const strict: ProblemHandler = (p) => {
	throw p;
};

/**
 * Read a whole stream held in memory, handing committed nodes to `visitor.node` as they come and
 * every other record, decoded and checked, to `visitor.record`. Strict: the first problem throws,
 * with its offset. The visitor checks what only it can (a node's parent is known).
 */
export function scanStream(bytes: Buffer, visitor: StreamVisitor): StreamHeader {
	const header = decodeHeader(bytes, strict);
	visitor.header(header);
	const order = byteOrder(header.endian);
	const validator = new StreamValidator(strict);
	let off = HEADER_BYTES;
	let index = 0;
	for (;;) {
		const at: Position = { offset: off, index, recordType: 'record' };
		if (off + RECORD_HEADER_BYTES > bytes.length) {
			throw new StreamError('missing-end', at, 'the stream ends without an END record');
		}
		const type = order.u32(bytes, off);
		const len = order.u32(bytes, off + 4);
		const start = off + RECORD_HEADER_BYTES;
		if (start + len > bytes.length) {
			throw new StreamError(
				'truncated-record',
				{ ...at, recordType: recordTypeName(type) },
				`record needs ${len} bytes`,
			);
		}
		if (type === RecordType.NODE_DATA && len >= NODE_FIXED_BYTES && order.u32(bytes, start) === 0) {
			committedNode(bytes, start, len, order, at, visitor);
		} else {
			const body = bytes.subarray(start, start + len);
			const record = decodeRecord(type, body, {
				endian: header.endian,
				version: header.version,
				offset: off,
				index,
				order,
			});
			validator.accept(record, { ...at, recordType: record.type });
			if (record.type === 'END') {
				if (align8(start + len) < bytes.length) {
					throw new StreamError('data-after-end', { offset: align8(start + len) }, 'bytes follow END');
				}
				return header;
			}
			visitor.record(record);
		}
		off = align8(start + len);
		index++;
	}
}

/** A committed NODE_DATA whose body is `bytes[start, start + len)`, checked as the codec checks it. */
function committedNode(
	bytes: Buffer,
	start: number,
	len: number,
	order: ByteOrder,
	at: Position,
	visitor: StreamVisitor,
): void {
	const pathLen = order.u16(bytes, start + 8);
	const valueLen = order.u16(bytes, start + 10);
	const permCount = order.u16(bytes, start + 14);
	const permAt = start + NODE_FIXED_BYTES;
	const pathAt = permAt + 4 * permCount;
	const valueAt = pathAt + pathLen;
	const end = valueAt + valueLen;
	const where = () => ({ ...at, recordType: 'NODE_DATA' });
	if (end > start + len || pathLen === 0) {
		throw new StreamError(
			'length-mismatch',
			where(),
			`its fields need ${end - start} bytes, its length is ${len}`,
		);
	}
	if (len > align8(end - start))
		throw new StreamError('length-mismatch', where(), 'its length goes past its fields');
	if (bytes[valueAt - 1] !== 0 || bytes.indexOf(0, pathAt) !== valueAt - 1) {
		throw new StreamError('bad-string', where(), 'its path is not one NUL-terminated string');
	}
	if (permCount === 0) throw new StreamError('bad-value', where(), 'a committed node without perms');
	for (let p = permAt; p < pathAt; p += 4) {
		if (!LETTER_BY_CODE.has(bytes[p]!))
			throw new StreamError('bad-value', where(), 'a perm letter is not n, r, w or b');
	}
	const path = bytes.toString('latin1', pathAt, valueAt - 1);
	if (!isNodePath(path))
		throw new StreamError('bad-path', where(), `${JSON.stringify(path)} is not a node path`);
	visitor.node(path, valueLen === 0 ? '' : bytes.toString('latin1', valueAt, end), bytes, permAt, permCount);
}

/** Decode `count` wire perms at `wire[start...]` (from scanStream, letters checked) into records' perms. */
export function decodePerms(wire: Buffer, start: number, count: number, order: ByteOrder): NodePerm[] {
	const out: NodePerm[] = [];
	const perms = wire;
	for (let p = start; p < start + 4 * count; p += 4) {
		out.push({
			access: LETTER_BY_CODE.get(perms[p]!)!,
			stale: (perms[p + 1]! & PERM_FLAG_STALE) !== 0,
			domid: order.u16(perms, p + 2),
		});
	}
	return out;
}
