import {
	type Endian,
	FLAG_BIG_ENDIAN,
	HEADER_BYTES,
	STREAM_IDENT,
	type StreamVersion,
	SUPPORTED_VERSIONS,
} from '../constants.ts';
import { type ProblemHandler, StreamError } from '../problems.ts';

const HEADER_AT = (offset: number) => ({ offset, recordType: 'header' });

/** The 16-byte stream header: ident, version and flags, always big-endian. */
export interface StreamHeader {
	readonly version: StreamVersion;
	readonly endian: Endian;
}

export function encodeHeader(header: StreamHeader): Buffer {
	const buf = Buffer.alloc(HEADER_BYTES);
	buf.write(STREAM_IDENT, 0, 'latin1');
	buf.writeUInt32BE(header.version, 8);
	buf.writeUInt32BE(header.endian === 'big' ? FLAG_BIG_ENDIAN : 0, 12);
	return buf;
}

/** Whether `buf` starts like a binary migration stream (as far as it goes). */
export function looksLikeStream(buf: Buffer): boolean {
	const n = Math.min(buf.length, STREAM_IDENT.length);
	return n > 0 && buf.toString('latin1', 0, n) === STREAM_IDENT.slice(0, n);
}

/** Decode the header from the first 16 bytes of `buf`; `buf` may be shorter when the stream is. */
export function decodeHeader(buf: Buffer, report: ProblemHandler): StreamHeader {
	if (buf.length >= STREAM_IDENT.length && buf.toString('latin1', 0, 8) !== STREAM_IDENT) {
		throw new StreamError(
			'bad-ident',
			HEADER_AT(0),
			`ident is ${quoteBytes(buf.subarray(0, 8))}, not "xenstore"`,
		);
	}
	if (buf.length < HEADER_BYTES) {
		if (!looksLikeStream(buf)) {
			throw new StreamError('bad-ident', HEADER_AT(0), `ident is ${quoteBytes(buf)}, not "xenstore"`);
		}
		throw new StreamError(
			'truncated-header',
			HEADER_AT(buf.length),
			`stream ends after ${buf.length} of 16 header bytes`,
		);
	}
	const version = buf.readUInt32BE(8);
	if (!(SUPPORTED_VERSIONS as readonly number[]).includes(version)) {
		throw new StreamError(
			'unsupported-version',
			HEADER_AT(8),
			`version ${version} is not supported (only 1 and 2)`,
		);
	}
	const flags = buf.readUInt32BE(12);
	if ((flags & ~FLAG_BIG_ENDIAN) !== 0) {
		report(
			new StreamError(
				'reserved-flags',
				HEADER_AT(12),
				`flags 0x${flags.toString(16).padStart(8, '0')} set reserved bits 1-31`,
			),
		);
	}
	return { version: version as StreamVersion, endian: flags & FLAG_BIG_ENDIAN ? 'big' : 'little' };
}

function quoteBytes(buf: Buffer): string {
	return JSON.stringify(buf.toString('latin1'));
}
