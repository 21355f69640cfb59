/**
 * WATCH_DATA (conn-id, path and token lengths counting their NULs, path, token) and, from version
 * 2, WATCH_DATA_EXTENDED, which puts a uint16 depth and 2 bytes of pad before the strings.
 */
import { RecordType, UINT16_MAX, WATCH_EXTENDED_FIXED_BYTES, WATCH_FIXED_BYTES } from '../constants.ts';
import { EncodeError } from '../problems.ts';
import type { WatchDataExtendedRecord, WatchDataRecord } from '../records.ts';
import {
	checkCString,
	checkU16,
	checkU32,
	cString,
	type DecodeContext,
	finishBody,
	need,
	problemAt,
	putCString,
	zeroBytes,
} from './fields.ts';
import type { RecordCodec } from './record-codec.ts';

type AnyWatch = WatchDataRecord | WatchDataExtendedRecord;

function stringsSize(r: AnyWatch): number {
	checkU32(r, 'conn-id', r.connId);
	checkCString(r, 'path', r.path, UINT16_MAX);
	checkCString(r, 'token', r.token, UINT16_MAX);
	return r.path.length + 1 + r.token.length + 1;
}

function decodeWatch(body: Buffer, ctx: DecodeContext, fixed: number) {
	const { order } = ctx;
	need(ctx, body, fixed, ctx.recordType);
	const connId = order.u32(body, 0);
	if (connId === 0) throw problemAt(ctx, 'bad-value', 0, 'conn-id is 0');
	const pathLen = order.u16(body, 4);
	const tokenLen = order.u16(body, 6);
	const end = fixed + pathLen + tokenLen;
	need(ctx, body, end, `path of ${pathLen} and token of ${tokenLen} bytes`);
	const path = cString(ctx, body, fixed, pathLen, 'watch path');
	const token = cString(ctx, body, fixed + pathLen, tokenLen, 'watch token');
	if (path.length === 0) throw problemAt(ctx, 'bad-string', fixed, 'watch path is empty');
	finishBody(ctx, body, end);
	return { connId, path, token };
}

export const watchDataCodec: RecordCodec<WatchDataRecord> = {
	code: RecordType.WATCH_DATA,
	size: (r) => WATCH_FIXED_BYTES + stringsSize(r),
	write(r, buf, o, order) {
		order.putU32(buf, o, r.connId);
		order.putU16(buf, o + 4, r.path.length + 1);
		order.putU16(buf, o + 6, r.token.length + 1);
		putCString(buf, putCString(buf, o + WATCH_FIXED_BYTES, r.path), r.token);
	},
	decode: (body, ctx) => ({ type: 'WATCH_DATA', ...decodeWatch(body, ctx, WATCH_FIXED_BYTES) }),
};

export const watchDataExtendedCodec: RecordCodec<WatchDataExtendedRecord> = {
	code: RecordType.WATCH_DATA_EXTENDED,
	size(r, version) {
		if (version < 2) throw new EncodeError(r.type, 'the record exists from version 2 on');
		checkU16(r, 'depth', r.depth);
		return WATCH_EXTENDED_FIXED_BYTES + stringsSize(r);
	},
	write(r, buf, o, order) {
		order.putU32(buf, o, r.connId);
		order.putU16(buf, o + 4, r.path.length + 1);
		order.putU16(buf, o + 6, r.token.length + 1);
		order.putU16(buf, o + 8, r.depth);
		putCString(buf, putCString(buf, o + WATCH_EXTENDED_FIXED_BYTES, r.path), r.token);
	},
	decode(body, ctx) {
		const watch = decodeWatch(body, ctx, WATCH_EXTENDED_FIXED_BYTES);
		zeroBytes(ctx, body, 10, 12, 'pad');
		return { type: 'WATCH_DATA_EXTENDED', ...watch, depth: ctx.order.u16(body, 8) };
	},
};
