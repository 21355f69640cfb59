/**
 * Helpers shared by the record codecs: bounds-checked reading of a record body, and range checks
 * before writing one. A body is exactly the `len` bytes of its record; nothing is read past it.
 */
import { align8, type StreamVersion, UINT16_MAX, UINT32_MAX } from '../constants.ts';
import { EncodeError, type ProblemCode, type ProblemHandler, StreamError } from '../problems.ts';
import type { MigrationRecord } from '../records.ts';
import type { ByteOrder } from './byte-order.ts';

export interface DecodeContext {
	readonly order: ByteOrder;
	readonly version: StreamVersion;
	/** Offset of the record's type field in the stream. */
	readonly offset: number;
	readonly index: number;
	readonly recordType: string;
	/** Receives problems that leave the record usable (reserved bits); may throw them. */
	readonly report: ProblemHandler;
}

export const BODY_OFFSET = 8;

/** A problem `at` bytes into the body of the record being decoded. */
export function problemAt(ctx: DecodeContext, code: ProblemCode, at: number, reason: string): StreamError {
	return new StreamError(
		code,
		{ offset: ctx.offset + BODY_OFFSET + at, index: ctx.index, recordType: ctx.recordType },
		reason,
	);
}

/** Throw unless the body holds `end` bytes of fields. */
export function need(ctx: DecodeContext, body: Buffer, end: number, what: string): void {
	if (end > body.length) {
		throw problemAt(
			ctx,
			'length-mismatch',
			Math.min(body.length, end),
			`${what} needs ${end} bytes but the record's length is ${body.length}`,
		);
	}
}

/**
 * After the fields (which end at `end`), a record's length may include its padding, as C
 * xenstored writes it, or not, as the design document reads; either way what follows the fields
 * inside the length is fewer than 8 bytes, all zero.
 */
export function finishBody(ctx: DecodeContext, body: Buffer, end: number): void {
	if (body.length > align8(end)) {
		throw problemAt(
			ctx,
			'length-mismatch',
			end,
			`the fields end after ${end} bytes but the record's length is ${body.length}`,
		);
	}
	zeroBytes(ctx, body, end, body.length, 'padding');
}

const typedFill = Uint8Array.prototype.fill;

/**
 * Zero buf[from, to): the typed array's own fill, because Buffer's checks its arguments again, a
 * cost per record when thousands are written.
 */
export function clearBytes(buf: Buffer, from: number, to: number): void {
	typedFill.call(buf, 0, from, to);
}

/** Report a reserved-field problem unless body[from, to) is all zero. */
export function zeroBytes(ctx: DecodeContext, body: Buffer, from: number, to: number, what: string): void {
	for (let i = from; i < to; i++) {
		if (body[i] !== 0) {
			ctx.report(problemAt(ctx, 'reserved-field', i, `${what} byte is 0x${body[i]!.toString(16)}, not 0`));
			return;
		}
	}
}

/**
 * A string of `len` bytes at `start` whose last byte is its NUL terminator (lengths in the format
 * count it). Returned as latin1, one character per byte.
 */
export function cString(ctx: DecodeContext, body: Buffer, start: number, len: number, what: string): string {
	if (len === 0)
		throw problemAt(ctx, 'bad-string', start, `${what} length is 0: even an empty string has its NUL`);
	const nul = body.indexOf(0, start);
	if (nul !== start + len - 1) {
		if (nul < 0 || nul >= start + len) {
			throw problemAt(ctx, 'bad-string', start + len - 1, `${what} does not end with a NUL`);
		}
		throw problemAt(ctx, 'bad-string', nul, `${what} holds a NUL before its end`);
	}
	return body.toString('latin1', start, start + len - 1);
}

/** Reject numbers that do not fit a field before writing them. */
export function checkUint(record: MigrationRecord, field: string, value: number, max: number): void {
	if (!Number.isInteger(value) || value < 0 || value > max) {
		throw new EncodeError(record.type, `${field} ${value} is not an integer in 0..${max}`);
	}
}

export function checkU16(record: MigrationRecord, field: string, value: number): void {
	checkUint(record, field, value, UINT16_MAX);
}

export function checkU32(record: MigrationRecord, field: string, value: number): void {
	checkUint(record, field, value, UINT32_MAX);
}

export function checkI32(record: MigrationRecord, field: string, value: number): void {
	if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
		throw new EncodeError(record.type, `${field} ${value} is not a 32-bit signed integer`);
	}
}

const ABOVE_A_BYTE = /[\u0100-\uffff]/;

/**
 * Check a string that will be written with its NUL: one byte per character (latin1), no NUL
 * inside, and short enough that its length with the NUL fits `maxWithNul`.
 */
export function checkCString(record: MigrationRecord, field: string, s: string, maxWithNul: number): void {
	if (s.includes('\0') || ABOVE_A_BYTE.test(s)) {
		throw new EncodeError(record.type, `${field} holds a NUL or a character above 0xFF`);
	}
	if (s.length + 1 > maxWithNul) {
		throw new EncodeError(record.type, `${field} is ${s.length} bytes; at most ${maxWithNul - 1} fit`);
	}
}

/** Write a latin1 string and its NUL at `offset`; returns the offset after the NUL. */
export function putCString(buf: Buffer, offset: number, s: string): number {
	const n = buf.write(s, offset, 'latin1');
	buf[offset + n] = 0;
	return offset + n + 1;
}
