import type { StreamVersion } from '../constants.ts';
import type { MigrationRecord } from '../records.ts';
import type { ByteOrder } from './byte-order.ts';
import type { DecodeContext } from './fields.ts';

/** How one record type is laid out: its body's size, writing it, and reading it back. */
export interface RecordCodec<R extends MigrationRecord> {
	readonly code: number;
	/**
	 * Bytes of the body's fields, before padding. Throws EncodeError when a field does not fit the
	 * format (or the version).
	 */
	size(record: R, version: StreamVersion): number;
	/** Write the fields at `offset` into a zero-filled area of at least size() bytes. */
	write(record: R, buf: Buffer, offset: number, order: ByteOrder, version: StreamVersion): void;
	/** Read a body of exactly the record's `len` bytes (its padding may be part of it). */
	decode(body: Buffer, ctx: DecodeContext): R;
}
