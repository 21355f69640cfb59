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
	/**
	 * Check the records against the stream's rules as they are written (default true). A caller
	 * whose records come straight from readStream, which checked them, may skip it; a lenient
	 * read's records (an orphan node kept) can only be written so.
	 */
	readonly validate?: boolean;
	/** Bytes gathered before a batch is handed on (default 256 KiB). */
	readonly batchBytes?: number;
}

/** Records one by one, or in batches (arrays) as readRecordBatches gives them, which is faster. */
export type RecordSource =
	| AsyncIterable<MigrationRecord | readonly MigrationRecord[]>
	| Iterable<MigrationRecord | readonly MigrationRecord[]>;

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
	let ended = false;
	const validate = options.validate ?? true;
	/** Encode one record into the batch; returns the previous batch when it had to start a new one. */
	const add = (record: MigrationRecord): Buffer | undefined => {
		const size = encodedSize(record, options.version);
		if (validate)
			validator.accept(record, { offset, index, recordType: recordTypeName(RecordType[record.type]) });
		else if (ended) throw new EncodeError(record.type, 'a record follows END');
		let full: Buffer | undefined;
		if (used + size > batch.length) {
			if (used > 0) full = batch.subarray(0, used);
			batch = Buffer.allocUnsafe(Math.max(batchBytes, size));
			used = 0;
		}
		used = writeRecord(record, batch, used, options, order, size);
		offset += size;
		index++;
		if (record.type === 'END') ended = true;
		return full;
	};
	for await (const item of records) {
		if (Array.isArray(item)) {
			for (const record of item as readonly MigrationRecord[]) {
				const full = add(record);
				if (full) yield full;
			}
		} else {
			const full = add(item as MigrationRecord);
			if (full) yield full;
		}
	}
	if (!ended) throw new EncodeError('END', `the ${index} records given do not end with END`);
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
