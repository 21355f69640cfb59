import type { Endian } from '../constants.ts';

/** Fixed-width integer access in one byte order, picked once per stream. */
export interface ByteOrder {
	readonly endian: Endian;
	u16(buf: Buffer, offset: number): number;
	u32(buf: Buffer, offset: number): number;
	i32(buf: Buffer, offset: number): number;
	u64(buf: Buffer, offset: number): bigint;
	putU16(buf: Buffer, offset: number, value: number): void;
	putU32(buf: Buffer, offset: number, value: number): void;
	putI32(buf: Buffer, offset: number, value: number): void;
	putU64(buf: Buffer, offset: number, value: bigint): void;
}

const little: ByteOrder = {
	endian: 'little',
	u16: (b, o) => b.readUInt16LE(o),
	u32: (b, o) => b.readUInt32LE(o),
	i32: (b, o) => b.readInt32LE(o),
	u64: (b, o) => b.readBigUInt64LE(o),
	putU16: (b, o, v) => {
		b.writeUInt16LE(v, o);
	},
	putU32: (b, o, v) => {
		b.writeUInt32LE(v, o);
	},
	putI32: (b, o, v) => {
		b.writeInt32LE(v, o);
	},
	putU64: (b, o, v) => {
		b.writeBigUInt64LE(v, o);
	},
};

const big: ByteOrder = {
	endian: 'big',
	u16: (b, o) => b.readUInt16BE(o),
	u32: (b, o) => b.readUInt32BE(o),
	i32: (b, o) => b.readInt32BE(o),
	u64: (b, o) => b.readBigUInt64BE(o),
	putU16: (b, o, v) => {
		b.writeUInt16BE(v, o);
	},
	putU32: (b, o, v) => {
		b.writeUInt32BE(v, o);
	},
	putI32: (b, o, v) => {
		b.writeInt32BE(v, o);
	},
	putU64: (b, o, v) => {
		b.writeBigUInt64BE(v, o);
	},
};

export function byteOrder(endian: Endian): ByteOrder {
	return endian === 'big' ? big : little;
}
