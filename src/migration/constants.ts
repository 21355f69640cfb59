import { endianness } from 'node:os';

/**
 * Numbers of the xenstore migration stream (docs/designs/xenstore-migration.md in the Xen tree).
 * The header is always big-endian; the records use the byte order that the header's flags name.
 */

/** The 8 ASCII bytes every stream starts with. */
export const STREAM_IDENT = 'xenstore';
export const HEADER_BYTES = 16;
/** Every record starts with uint32 type and uint32 len. */
export const RECORD_HEADER_BYTES = 8;
/** Records are padded with zeros to a multiple of this. */
export const RECORD_ALIGN = 8;

export const FLAG_BIG_ENDIAN = 1;
export const SUPPORTED_VERSIONS = [1, 2] as const;
export type StreamVersion = (typeof SUPPORTED_VERSIONS)[number];
export type Endian = 'little' | 'big';
/** This machine's byte order: a daemon writes its own state in it, as C xenstored does. */
export const HOST_ENDIAN: Endian = endianness() === 'LE' ? 'little' : 'big';

export const RecordType = {
	END: 0,
	GLOBAL_DATA: 1,
	CONNECTION_DATA: 2,
	WATCH_DATA: 3,
	TRANSACTION_DATA: 4,
	NODE_DATA: 5,
	GLOBAL_QUOTA_DATA: 6,
	DOMAIN_DATA: 7,
	WATCH_DATA_EXTENDED: 8,
} as const;
export type RecordTypeName = keyof typeof RecordType;

const NAMES: readonly RecordTypeName[] = Object.keys(RecordType) as RecordTypeName[];

/** The name of a record type number, or `TYPE_0x…` for one this version of the format lacks. */
export function recordTypeName(code: number): string {
	return NAMES[code] ?? `TYPE_0x${code.toString(16).padStart(8, '0')}`;
}

export function isKnownRecordType(code: number): boolean {
	return code >= 0 && code < NAMES.length;
}

/** CONNECTION_DATA conn-type. */
export const ConnType = { RING: 0, SOCKET: 1 } as const;
/** CONNECTION_DATA `fields` bit: a uint64 unique id follows the data, 8-byte aligned. */
export const CONN_FIELD_UNIQUE_ID = 1;
/** Size of CONNECTION_DATA before its pending data. */
export const CONNECTION_FIXED_BYTES = 24;

/** DOMID_INVALID: a ring connection's target when SET_TARGET was never used. */
export const NO_TARGET = 0x7ff4;
/** WATCH_DATA_EXTENDED depth meaning "no limit". */
export const UNLIMITED_DEPTH = 0xffff;

/** NODE_DATA access bits of a node inside a transaction; 0 means deleted. */
export const NodeAccess = { DELETED: 0, READ: 1, WRITTEN: 2 } as const;
export const NODE_ACCESS_MASK = NodeAccess.READ | NodeAccess.WRITTEN;
/** Node permission flag: the entry names a domain that went away and is ignored in checks. */
export const PERM_FLAG_STALE = 1;
export const PERM_LETTERS = ['n', 'r', 'w', 'b'] as const;
export type PermLetter = (typeof PERM_LETTERS)[number];

export const NODE_FIXED_BYTES = 16;
export const WATCH_FIXED_BYTES = 8;
export const WATCH_EXTENDED_FIXED_BYTES = 12;

export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;

/** `n` rounded up to a multiple of 8 (not with bit operations: lengths may exceed 2^31). */
export function align8(n: number): number {
	const rest = n % RECORD_ALIGN;
	return rest === 0 ? n : n + RECORD_ALIGN - rest;
}
