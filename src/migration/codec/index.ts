/**
 * The record codec: typed records to bytes and back, in either byte order, for versions 1 and 2.
 * Pure: no I/O. A record on the wire is uint32 type, uint32 len, the body, and zeros up to the
 * next multiple of 8. We write `len` with the padding included, as C xenstored does and as its
 * reader (which steps from record to record by `len`) needs; we read either form.
 */
import {
	align8,
	type Endian,
	isKnownRecordType,
	RECORD_HEADER_BYTES,
	RecordType,
	recordTypeName,
	type StreamVersion,
} from '../constants.ts';
import { EncodeError, type ProblemHandler, StreamError } from '../problems.ts';
import type { MigrationRecord, MigrationRecordType, RecordOf } from '../records.ts';
import { type ByteOrder, byteOrder } from './byte-order.ts';
import { connectionDataCodec } from './connection.ts';
import { clearBytes, type DecodeContext } from './fields.ts';
import { nodeDataCodec } from './node.ts';
import { domainDataCodec, globalQuotaDataCodec } from './quota.ts';
import type { RecordCodec } from './record-codec.ts';
import { endCodec, globalDataCodec, transactionDataCodec } from './simple-records.ts';
import { watchDataCodec, watchDataExtendedCodec } from './watch.ts';

const CODECS: { readonly [T in MigrationRecordType]: RecordCodec<RecordOf<T>> } = {
	END: endCodec,
	GLOBAL_DATA: globalDataCodec,
	CONNECTION_DATA: connectionDataCodec,
	WATCH_DATA: watchDataCodec,
	TRANSACTION_DATA: transactionDataCodec,
	NODE_DATA: nodeDataCodec,
	GLOBAL_QUOTA_DATA: globalQuotaDataCodec,
	DOMAIN_DATA: domainDataCodec,
	WATCH_DATA_EXTENDED: watchDataExtendedCodec,
};

const BY_CODE: readonly RecordCodec<MigrationRecord>[] = Object.values(CODECS)
	.map((c) => c as RecordCodec<MigrationRecord>)
	.sort((a, b) => a.code - b.code);

function codecOf(record: MigrationRecord): RecordCodec<MigrationRecord> {
	const codec = CODECS[record.type] as RecordCodec<MigrationRecord> | undefined;
	if (!codec) throw new EncodeError(String(record.type), 'not a record type of the format');
	return codec;
}

export interface EncodeOptions {
	readonly endian: Endian;
	readonly version: StreamVersion;
}

/** Bytes the record takes in a stream: header, body and padding. Checks every field's range. */
export function encodedSize(record: MigrationRecord, version: StreamVersion): number {
	return RECORD_HEADER_BYTES + align8(codecOf(record).size(record, version));
}

/**
 * Write the record at `offset` of `buf`, which must have encodedSize() bytes free there; returns
 * the offset after it. Padding is written as zeros. A caller that has just called encodedSize()
 * passes what it returned as `size`: the fields are then not checked and measured a second time.
 */
export function writeRecord(
	record: MigrationRecord,
	buf: Buffer,
	offset: number,
	options: EncodeOptions,
	order: ByteOrder = byteOrder(options.endian),
	size?: number,
): number {
	const codec = codecOf(record);
	const bodyLength =
		size === undefined ? align8(codec.size(record, options.version)) : size - RECORD_HEADER_BYTES;
	const end = offset + RECORD_HEADER_BYTES + bodyLength;
	clearBytes(buf, offset, end);
	order.putU32(buf, offset, codec.code);
	order.putU32(buf, offset + 4, bodyLength);
	codec.write(record, buf, offset + RECORD_HEADER_BYTES, order, options.version);
	return end;
}

/** One record as stream bytes (header, body, zero padding). */
export function encodeRecord(record: MigrationRecord, options: EncodeOptions): Buffer {
	const buf = Buffer.allocUnsafe(encodedSize(record, options.version));
	writeRecord(record, buf, 0, options);
	return buf;
}

export interface DecodeOptions {
	readonly endian: Endian;
	readonly version: StreamVersion;
	/** Where the record starts in its stream, for error messages. */
	readonly offset?: number;
	/** The record's index in its stream, for error messages. */
	readonly index?: number;
	/** Receives problems that leave the record usable; by default they are thrown (strict). */
	readonly report?: ProblemHandler;
	/** Byte order accessor, to save looking it up per record. */
	readonly order?: ByteOrder;
}

const strict: ProblemHandler = (p) => {
	throw p;
};

/**
 * Decode one record body. `body` is exactly the record's `len` bytes. Throws StreamError when the
 * record cannot be used (unknown type, a length that does not fit the fields, a bad value).
 */
export function decodeRecord(typeCode: number, body: Buffer, options: DecodeOptions): MigrationRecord {
	const recordType = recordTypeName(typeCode);
	const ctx: DecodeContext = {
		order: options.order ?? byteOrder(options.endian),
		version: options.version,
		offset: options.offset ?? 0,
		index: options.index ?? 0,
		recordType,
		report: options.report ?? strict,
	};
	if (!isKnownRecordType(typeCode)) {
		throw new StreamError(
			'unknown-type',
			{ offset: ctx.offset, index: ctx.index, recordType },
			`record type ${typeCode} is not defined by the format`,
		);
	}
	if (typeCode === RecordType.WATCH_DATA_EXTENDED && options.version < 2) {
		ctx.report(
			new StreamError(
				'version-mismatch',
				{ offset: ctx.offset, index: ctx.index, recordType },
				'WATCH_DATA_EXTENDED exists from version 2 on, and this stream is version 1',
			),
		);
	}
	return BY_CODE[typeCode]!.decode(body, ctx);
}

/** Decode a whole encoded record (header included) from the start of `buf`. */
export function decodeEncodedRecord(buf: Buffer, options: DecodeOptions): MigrationRecord {
	const order = options.order ?? byteOrder(options.endian);
	const len = buf.length >= RECORD_HEADER_BYTES ? order.u32(buf, 4) : 0;
	if (buf.length < RECORD_HEADER_BYTES + len) {
		throw new StreamError(
			'truncated-record',
			{ offset: (options.offset ?? 0) + buf.length, index: options.index ?? 0 },
			`${buf.length} bytes hold no whole record`,
		);
	}
	return decodeRecord(order.u32(buf, 0), buf.subarray(8, 8 + len), { ...options, order });
}
