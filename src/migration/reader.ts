/**
 * Reading a migration stream of any size from any byte source (a file, a socket, an array of
 * Buffers) as an async iterable of records. Memory is bounded by the largest record: bytes are
 * gathered only until the record in hand is complete, and a length field is never used to
 * allocate; it only says how many more bytes to wait for.
 */

import { byteOrder } from './codec/byte-order.ts';
import { decodeHeader, type StreamHeader } from './codec/header.ts';
import { decodeRecord } from './codec/index.ts';
import { align8, HEADER_BYTES, RECORD_HEADER_BYTES, recordTypeName } from './constants.ts';
import { problemReporter, type ReadPolicy, StreamError } from './problems.ts';
import type { MigrationRecord } from './records.ts';
import { StreamValidator } from './validator.ts';

/** A record longer than this is refused unless the reader is told otherwise. */
export const DEFAULT_MAX_RECORD_LENGTH = 64 * 1024 * 1024;

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface ReadOptions extends ReadPolicy {
	/** Longest record body accepted (default 64 MiB): a bound on memory for hostile streams. */
	readonly maxRecordLength?: number;
	/**
	 * Stop pulling from the source once END is read, and leave the source open (for a socket that
	 * goes on after the stream). By default the source is read to its end, to find bytes after END.
	 */
	readonly stopAtEnd?: boolean;
	/** Called with the count of bytes read so far, once per chunk. */
	readonly onProgress?: (bytes: number) => void;
}

/** Inputs that hold a migration state: a binary stream, oxenstored's text dump, our JSON form. */
export type SourceFormat = 'stream' | 'oxenstored-dump' | 'json';

export type StreamItem =
	| {
			readonly kind: 'header';
			readonly format: SourceFormat;
			/** For a text dump: version 1 in this host's byte order, as it would be written; for JSON, its own. */
			readonly header: StreamHeader;
			readonly offset: number;
			readonly size: number;
	  }
	| {
			readonly kind: 'record';
			readonly record: MigrationRecord;
			readonly index: number;
			readonly offset: number;
			/** Bytes taken in the stream: record header, body and padding. */
			readonly size: number;
	  };

const EMPTY = Buffer.alloc(0);

function asBuffer(chunk: Uint8Array): Buffer {
	return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
	return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/**
 * The header, then every record kept, with where it is in the stream, in batches: one array per
 * stretch of input, so that a consumer pays one await per chunk rather than one per record.
 * Problems are thrown (strict) or handed to `onProblem` and dealt with by their disposition (see
 * problems.ts); items decoded before a thrown problem are yielded first.
 */
export async function* readStreamBatches(
	source: ByteSource,
	options: ReadOptions = {},
): AsyncGenerator<StreamItem[]> {
	const report = problemReporter(options);
	const maxRecordLength = options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
	const validator = new StreamValidator(report);
	const it = iteratorOf(source);

	let buf: Buffer = EMPTY; // contiguous bytes not yet consumed, from `pos`
	let pos = 0;
	let base = 0; // stream offset of buf[0]
	const parts: Buffer[] = []; // chunks received after buf
	let partsLength = 0;
	let received = 0;
	let need = HEADER_BYTES; // bytes required in buf before anything can be done
	let header: StreamHeader | undefined;
	let order = byteOrder('little');
	let index = 0;
	let sourceDone = false;
	let stopped = false;
	let batch: StreamItem[] = [];

	/**
	 * Make `need` bytes contiguous in buf (or all there are). A record that spans chunks is copied
	 * on its own; the rest of a chunk is used where it lies.
	 */
	const join = () => {
		if (buf.length - pos === 0 && parts.length > 0) {
			base += buf.length;
			buf = parts.shift()!;
			partsLength -= buf.length;
			pos = 0;
		}
		let missing = need - (buf.length - pos);
		if (missing <= 0 || parts.length === 0) return;
		const pieces = [buf.subarray(pos)];
		while (missing > 0 && parts.length > 0) {
			const part = parts[0]!;
			if (part.length <= missing) {
				pieces.push(part);
				parts.shift();
				partsLength -= part.length;
				missing -= part.length;
			} else {
				pieces.push(part.subarray(0, missing));
				parts[0] = part.subarray(missing);
				partsLength -= missing;
				missing = 0;
			}
		}
		base += pos;
		buf = Buffer.concat(pieces);
		pos = 0;
	};

	try {
		for (;;) {
			// Gather until `need` bytes are at hand or the source ends.
			while (buf.length - pos + partsLength < need && !sourceDone) {
				if (batch.length > 0) {
					yield batch;
					batch = [];
				}
				const next = await it.next();
				if (next.done) {
					sourceDone = true;
					break;
				}
				const chunk = asBuffer(next.value);
				if (chunk.length === 0) continue;
				parts.push(chunk);
				partsLength += chunk.length;
				received += chunk.length;
				options.onProgress?.(received);
			}
			join();
			const available = buf.length - pos;

			if (header === undefined) {
				header = decodeHeader(buf.subarray(pos, pos + HEADER_BYTES), report);
				order = byteOrder(header.endian);
				batch.push({ kind: 'header', format: 'stream', header, offset: 0, size: HEADER_BYTES });
				pos += HEADER_BYTES;
				need = RECORD_HEADER_BYTES;
				continue;
			}

			if (validator.complete) {
				if (batch.length > 0) {
					yield batch;
					batch = [];
				}
				stopped = options.stopAtEnd === true;
				let extra = available + partsLength;
				// Count, without keeping, what else the source holds: a file must end at END.
				while (!stopped && !sourceDone) {
					const next = await it.next();
					if (next.done) sourceDone = true;
					else extra += next.value.byteLength;
				}
				if (extra > 0) {
					const more = sourceDone ? '' : ' or more';
					report(
						new StreamError(
							'data-after-end',
							{ offset: base + pos },
							`${extra}${more} bytes follow the END record`,
						),
					);
				}
				return;
			}

			if (available < RECORD_HEADER_BYTES) {
				if (available === 0) {
					throw new StreamError(
						'missing-end',
						{ offset: base + pos },
						`the stream stops after ${index} records without END`,
					);
				}
				throw new StreamError(
					'truncated-record',
					{ offset: base + buf.length, index },
					`the stream ends ${available} bytes into a record header`,
				);
			}

			const offset = base + pos;
			const typeCode = order.u32(buf, pos);
			const len = order.u32(buf, pos + 4);
			const at = { offset, index, recordType: recordTypeName(typeCode) };
			if (len > maxRecordLength) {
				throw new StreamError(
					'record-too-large',
					at,
					`len ${len} exceeds the reader's limit of ${maxRecordLength}`,
				);
			}
			const size = RECORD_HEADER_BYTES + align8(len);
			if (available < size) {
				if (sourceDone && partsLength === 0) {
					throw new StreamError(
						'truncated-record',
						{ ...at, offset: base + buf.length },
						`the stream ends ${available} bytes into a record of ${size} (len ${len})`,
					);
				}
				need = size;
				continue;
			}
			need = RECORD_HEADER_BYTES;
			const bodyStart = pos + RECORD_HEADER_BYTES;
			pos += size;
			index++;
			const record = decodeKept(buf, bodyStart, len, size, typeCode, at);
			if (record !== undefined) batch.push({ kind: 'record', record, index: at.index, offset, size });
		}
	} catch (e) {
		if (batch.length > 0) yield batch;
		throw e;
	} finally {
		if (!stopped && !sourceDone) await it.return?.();
	}

	function decodeKept(
		bytes: Buffer,
		bodyStart: number,
		len: number,
		size: number,
		typeCode: number,
		at: { offset: number; index: number; recordType: string },
	): MigrationRecord | undefined {
		const v = header!;
		let record: MigrationRecord;
		try {
			record = decodeRecord(typeCode, bytes.subarray(bodyStart, bodyStart + len), {
				endian: v.endian,
				version: v.version,
				offset: at.offset,
				index: at.index,
				report,
				order,
			});
			const padStart = bodyStart + len;
			const padEnd = bodyStart - RECORD_HEADER_BYTES + size;
			for (let i = padStart; i < padEnd; i++) {
				if (bytes[i] !== 0) {
					report(
						new StreamError(
							'reserved-field',
							{ ...at, offset: base + i },
							`padding byte is 0x${bytes[i]!.toString(16)}, not 0`,
						),
					);
					break;
				}
			}
		} catch (e) {
			if (!(e instanceof StreamError)) throw e;
			report(e);
			return undefined;
		}
		return validator.accept(record, at) ? record : undefined;
	}
}

/** The header, then every record kept, with where it is in the stream (see readStreamBatches). */
export async function* readStreamItems(
	source: ByteSource,
	options: ReadOptions = {},
): AsyncGenerator<StreamItem> {
	for await (const batch of readStreamBatches(source, options)) yield* batch;
}

export interface RecordReadOptions extends ReadOptions {
	/** Receives the stream's header before the first record. */
	readonly onHeader?: (header: StreamHeader) => void;
}

/** The records of a stream, END last, checked as they come (see readStreamItems). */
export async function* readStream(
	source: ByteSource,
	options: RecordReadOptions = {},
): AsyncGenerator<MigrationRecord> {
	for await (const item of readStreamItems(source, options)) {
		if (item.kind === 'record') yield item.record;
		else options.onHeader?.(item.header);
	}
}

/** The records of a stream in batches (see readStreamBatches): the fastest way to pipe a stream. */
export async function* readRecordBatches(
	source: ByteSource,
	options: RecordReadOptions = {},
): AsyncGenerator<MigrationRecord[]> {
	for await (const batch of readStreamBatches(source, options)) {
		const records: MigrationRecord[] = [];
		for (const item of batch) {
			if (item.kind === 'record') records.push(item.record);
			else options.onHeader?.(item.header);
		}
		if (records.length > 0) yield records;
	}
}
