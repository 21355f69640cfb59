/**
 * Writing a migration stream: records in, bytes out in batches, to any writable (a file, a
 * socket). Every record is checked as the reader would check it, so what we write reads back.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteOrder } from './codec/byte-order.ts';
import { encodeHeader } from './codec/header.ts';
import { encodedSize, writeRecord } from './codec/index.ts';
import { type Endian, HEADER_BYTES, RecordType, recordTypeName, type StreamVersion } from './constants.ts';
import { EncodeError, type ProblemHandler } from './problems.ts';
import type { MigrationRecord } from './records.ts';
import { StreamValidator } from './validator.ts';

export interface WriteOptions {
	readonly version: StreamVersion;
	readonly endian: Endian;
	/** Bytes gathered before a batch is handed on (default 256 KiB). */
	readonly batchBytes?: number;
}

export type RecordSource = AsyncIterable<MigrationRecord> | Iterable<MigrationRecord>;

const throwIt: ProblemHandler = (p) => {
	throw p;
};

/**
 * The bytes of a stream: the header, then the records in batches. The records must end with END;
 * one that breaks the stream's rules (see StreamValidator) or does not fit its fields throws.
 */
export async function* encodeStream(records: RecordSource, options: WriteOptions): AsyncGenerator<Buffer> {
	const batchBytes = options.batchBytes ?? 256 * 1024;
	const order = byteOrder(options.endian);
	const validator = new StreamValidator(throwIt);
	yield encodeHeader(options);
	let batch = Buffer.allocUnsafe(batchBytes);
	let used = 0;
	let offset = HEADER_BYTES;
	let index = 0;
	for await (const record of records) {
		const size = encodedSize(record, options.version);
		validator.accept(record, { offset, index, recordType: recordTypeName(RecordType[record.type]) });
		if (used + size > batch.length) {
			if (used > 0) yield batch.subarray(0, used);
			batch = Buffer.allocUnsafe(Math.max(batchBytes, size));
			used = 0;
		}
		used = writeRecord(record, batch, used, options, order);
		offset += size;
		index++;
	}
	if (!validator.complete) throw new EncodeError('END', `the ${index} records given do not end with END`);
	if (used > 0) yield batch.subarray(0, used);
}

/** One whole stream in one Buffer (for tests and small states). */
export async function encodeStreamToBuffer(records: RecordSource, options: WriteOptions): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const part of encodeStream(records, options)) parts.push(part);
	return Buffer.concat(parts);
}

export interface SinkOptions extends WriteOptions {
	/** End the sink when done (default true; false leaves a socket open). */
	readonly end?: boolean;
}

/** Write a whole stream to `sink`, honouring its backpressure. */
export async function writeStream(
	records: RecordSource,
	sink: Writable,
	options: SinkOptions,
): Promise<void> {
	await pipeline(Readable.from(encodeStream(records, options), { objectMode: false }), sink, {
		end: options.end ?? true,
	});
}
