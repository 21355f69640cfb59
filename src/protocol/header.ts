import { endianness } from 'node:os';
import { HEADER_SIZE } from './limits.ts';

/**
 * The 16-byte message header: four uint32 in the host's byte order (xs_wire.h struct xsd_sockmsg).
 * Every client library of this host writes it that way, so the daemon reads it that way.
 */
export interface Header {
	type: number;
	reqId: number;
	txId: number;
	len: number;
}

const littleEndian = endianness() === 'LE';

export function readUint32(buf: Buffer, offset: number): number {
	return littleEndian ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

export function writeUint32(buf: Buffer, value: number, offset: number): void {
	if (littleEndian) buf.writeUInt32LE(value, offset);
	else buf.writeUInt32BE(value, offset);
}

export function decodeHeader(buf: Buffer, offset = 0): Header {
	return {
		type: readUint32(buf, offset),
		reqId: readUint32(buf, offset + 4),
		txId: readUint32(buf, offset + 8),
		len: readUint32(buf, offset + 12),
	};
}

export function writeHeader(
	buf: Buffer,
	offset: number,
	type: number,
	reqId: number,
	txId: number,
	len: number,
) {
	writeUint32(buf, type, offset);
	writeUint32(buf, reqId, offset + 4);
	writeUint32(buf, txId, offset + 8);
	writeUint32(buf, len, offset + 12);
}

export { HEADER_SIZE };
