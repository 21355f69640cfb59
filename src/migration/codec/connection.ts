/**
 * CONNECTION_DATA: conn-id, conn-type, fields, an 8-byte conn-spec (ring: domid, target domid,
 * event channel; socket: fd and pad), the pending data lengths, the data, and when `fields` bit 0
 * is set a uint64 unique id at the next 8-byte boundary.
 */
import {
	align8,
	CONN_FIELD_UNIQUE_ID,
	CONNECTION_FIXED_BYTES,
	ConnType,
	RecordType,
	UINT16_MAX,
	UINT32_MAX,
} from '../constants.ts';
import { EncodeError } from '../problems.ts';
import type { ConnectionDataRecord, ConnectionSpec } from '../records.ts';
import { checkI32, checkU16, checkU32, checkUint, finishBody, need, problemAt, zeroBytes } from './fields.ts';
import type { RecordCodec } from './record-codec.ts';

/** Shared by every connection with nothing pending: most of them, and a live update reads hundreds. */
const NOTHING_PENDING = Buffer.alloc(0);

/** A copy of `length` bytes of `body` at `offset` (the body is a view of the whole stream). */
function copyOut(body: Buffer, offset: number, length: number): Buffer {
	return length === 0 ? NOTHING_PENDING : Buffer.copyBytesFrom(body, offset, length);
}

function dataEnd(r: ConnectionDataRecord): number {
	return CONNECTION_FIXED_BYTES + r.pendingIn.length + r.pendingOut.length;
}

export const connectionDataCodec: RecordCodec<ConnectionDataRecord> = {
	code: RecordType.CONNECTION_DATA,
	size(r) {
		checkU32(r, 'conn-id', r.connId);
		if (r.spec.kind === 'ring') {
			checkU16(r, 'domid', r.spec.domid);
			checkU16(r, 'target domid', r.spec.target);
			checkU32(r, 'event channel', r.spec.evtchn);
		} else {
			checkI32(r, 'socket fd', r.spec.fd);
		}
		checkUint(r, 'in-data-len', r.pendingIn.length, UINT16_MAX);
		checkUint(r, 'out-data-len', r.pendingOut.length, UINT32_MAX);
		checkU16(r, 'out-resp-len', r.partialResponseLength);
		if (r.partialResponseLength > r.pendingOut.length) {
			throw new EncodeError(
				r.type,
				`out-resp-len ${r.partialResponseLength} exceeds out-data-len ${r.pendingOut.length}`,
			);
		}
		if (r.uniqueId !== undefined && (r.uniqueId < 0n || r.uniqueId > 0xffffffffffffffffn)) {
			throw new EncodeError(r.type, `unique id ${r.uniqueId} is not a uint64`);
		}
		return r.uniqueId === undefined ? dataEnd(r) : align8(dataEnd(r)) + 8;
	},
	write(r, buf, o, order) {
		order.putU32(buf, o, r.connId);
		order.putU16(buf, o + 4, r.spec.kind === 'ring' ? ConnType.RING : ConnType.SOCKET);
		order.putU16(buf, o + 6, r.uniqueId === undefined ? 0 : CONN_FIELD_UNIQUE_ID);
		if (r.spec.kind === 'ring') {
			order.putU16(buf, o + 8, r.spec.domid);
			order.putU16(buf, o + 10, r.spec.target);
			order.putU32(buf, o + 12, r.spec.evtchn);
		} else {
			order.putI32(buf, o + 8, r.spec.fd);
		}
		order.putU16(buf, o + 16, r.pendingIn.length);
		order.putU16(buf, o + 18, r.partialResponseLength);
		order.putU32(buf, o + 20, r.pendingOut.length);
		r.pendingIn.copy(buf, o + CONNECTION_FIXED_BYTES);
		r.pendingOut.copy(buf, o + CONNECTION_FIXED_BYTES + r.pendingIn.length);
		if (r.uniqueId !== undefined) order.putU64(buf, o + align8(dataEnd(r)), r.uniqueId);
	},
	decode(body, ctx) {
		const { order } = ctx;
		need(ctx, body, CONNECTION_FIXED_BYTES, 'CONNECTION_DATA');
		const connId = order.u32(body, 0);
		if (connId === 0) throw problemAt(ctx, 'bad-value', 0, 'conn-id is 0; connections are numbered from 1');
		const connType = order.u16(body, 4);
		let fields = order.u16(body, 6);
		if ((fields & ~CONN_FIELD_UNIQUE_ID) !== 0) {
			ctx.report(problemAt(ctx, 'reserved-field', 6, `fields 0x${fields.toString(16)} sets undefined bits`));
			fields &= CONN_FIELD_UNIQUE_ID;
		}
		let spec: ConnectionSpec;
		if (connType === ConnType.RING) {
			spec = {
				kind: 'ring',
				domid: order.u16(body, 8),
				target: order.u16(body, 10),
				evtchn: order.u32(body, 12),
			};
		} else if (connType === ConnType.SOCKET) {
			spec = { kind: 'socket', fd: order.i32(body, 8) };
			zeroBytes(ctx, body, 12, 16, 'socket spec pad');
		} else {
			throw problemAt(ctx, 'bad-value', 4, `conn-type ${connType} is neither 0 (ring) nor 1 (socket)`);
		}
		const inLen = order.u16(body, 16);
		const respLen = order.u16(body, 18);
		const outLen = order.u32(body, 20);
		const end = CONNECTION_FIXED_BYTES + inLen + outLen;
		need(ctx, body, end, `pending data of ${inLen} + ${outLen} bytes`);
		if (respLen > outLen) {
			throw problemAt(ctx, 'length-mismatch', 18, `out-resp-len ${respLen} exceeds out-data-len ${outLen}`);
		}
		const pendingIn = copyOut(body, CONNECTION_FIXED_BYTES, inLen);
		const pendingOut = copyOut(body, CONNECTION_FIXED_BYTES + inLen, outLen);
		let uniqueId: bigint | undefined;
		let fieldsEnd = end;
		if (fields & CONN_FIELD_UNIQUE_ID) {
			const at = align8(end);
			need(ctx, body, at + 8, 'the unique id');
			zeroBytes(ctx, body, end, at, 'alignment');
			uniqueId = order.u64(body, at);
			fieldsEnd = at + 8;
		}
		finishBody(ctx, body, fieldsEnd);
		const record: ConnectionDataRecord = {
			type: 'CONNECTION_DATA',
			connId,
			spec,
			pendingIn,
			pendingOut,
			partialResponseLength: respLen,
		};
		return uniqueId === undefined ? record : { ...record, uniqueId };
	},
};
