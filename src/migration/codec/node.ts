/**
 * NODE_DATA: conn-id and tx-id (both 0 for a committed node), path length (counting its NUL),
 * value length, access (inside a transaction), perm count, the perms (letter, flags, uint16
 * domid), the path and the value.
 */
import {
	NODE_ACCESS_MASK,
	NODE_FIXED_BYTES,
	PERM_FLAG_STALE,
	PERM_LETTERS,
	type PermLetter,
	RecordType,
	UINT16_MAX,
} from '../constants.ts';
import { EncodeError } from '../problems.ts';
import type { NodeDataRecord, NodePerm } from '../records.ts';
import {
	checkCString,
	checkU16,
	checkU32,
	cString,
	finishBody,
	need,
	problemAt,
	putCString,
} from './fields.ts';
import type { RecordCodec } from './record-codec.ts';

/** Shared by every empty value: a zero-length Buffer cannot be written into. */
const EMPTY_VALUE = Buffer.alloc(0);

/** A copy of body[from, to), so that a value does not keep its whole input chunk alive. */
function copyBytes(body: Buffer, from: number, to: number): Buffer {
	const out = Buffer.allocUnsafe(to - from);
	body.copy(out, 0, from, to);
	return out;
}

const LETTER_CODES = PERM_LETTERS.map((l) => l.charCodeAt(0));

/**
 * Perms are immutable, and most nodes of a stream share a few: the same entries (and single-entry
 * lists) are handed out again rather than made per node. The cache is bounded, against streams
 * that name every domid.
 */
const PERM_CACHE_LIMIT = 4096;
const permCache = new Map<number, NodePerm>();
const singleCache = new Map<number, readonly NodePerm[]>();

function permOf(letter: PermLetter, domid: number, stale: boolean, key: number): NodePerm {
	let p = permCache.get(key);
	if (p === undefined) {
		p = Object.freeze({ access: letter, domid, stale });
		if (permCache.size < PERM_CACHE_LIMIT) permCache.set(key, p);
	}
	return p;
}

function letterOf(code: number): PermLetter | undefined {
	const i = LETTER_CODES.indexOf(code);
	return i < 0 ? undefined : PERM_LETTERS[i];
}

export const nodeDataCodec: RecordCodec<NodeDataRecord> = {
	code: RecordType.NODE_DATA,
	size(r) {
		checkU32(r, 'conn-id', r.connId);
		checkU32(r, 'tx-id', r.txId);
		checkU16(r, 'access', r.access);
		checkU16(r, 'perm-count', r.perms.length);
		checkU16(r, 'value-len', r.value.length);
		checkCString(r, 'path', r.path, UINT16_MAX);
		for (const p of r.perms) {
			checkU16(r, 'perm domid', p.domid);
			if (!PERM_LETTERS.includes(p.access))
				throw new EncodeError(r.type, `perm letter "${p.access}" is not n, r, w or b`);
		}
		return NODE_FIXED_BYTES + 4 * r.perms.length + r.path.length + 1 + r.value.length;
	},
	write(r, buf, o, order) {
		order.putU32(buf, o, r.connId);
		order.putU32(buf, o + 4, r.txId);
		order.putU16(buf, o + 8, r.path.length + 1);
		order.putU16(buf, o + 10, r.value.length);
		order.putU16(buf, o + 12, r.access);
		order.putU16(buf, o + 14, r.perms.length);
		let at = o + NODE_FIXED_BYTES;
		for (const p of r.perms) {
			buf[at] = p.access.charCodeAt(0);
			buf[at + 1] = p.stale ? PERM_FLAG_STALE : 0;
			order.putU16(buf, at + 2, p.domid);
			at += 4;
		}
		at = putCString(buf, at, r.path);
		r.value.copy(buf, at);
	},
	decode(body, ctx) {
		const { order } = ctx;
		need(ctx, body, NODE_FIXED_BYTES, 'NODE_DATA');
		const connId = order.u32(body, 0);
		let txId = order.u32(body, 4);
		const pathLen = order.u16(body, 8);
		const valueLen = order.u16(body, 10);
		let access = order.u16(body, 12);
		const permCount = order.u16(body, 14);
		const pathAt = NODE_FIXED_BYTES + 4 * permCount;
		const valueAt = pathAt + pathLen;
		const end = valueAt + valueLen;
		need(ctx, body, end, `${permCount} perms, a path of ${pathLen} and a value of ${valueLen} bytes`);
		let perms: NodePerm[] | readonly NodePerm[] = new Array(permCount);
		let key = 0;
		for (let i = 0, at = NODE_FIXED_BYTES; i < permCount; i++, at += 4) {
			const letter = letterOf(body[at]!);
			if (letter === undefined) {
				throw problemAt(
					ctx,
					'bad-value',
					at,
					`perm ${i} has letter 0x${body[at]!.toString(16)}, not n, r, w or b`,
				);
			}
			const flags = body[at + 1]!;
			if ((flags & ~PERM_FLAG_STALE) !== 0) {
				ctx.report(
					problemAt(
						ctx,
						'reserved-field',
						at + 1,
						`perm ${i} flags 0x${flags.toString(16)} set undefined bits`,
					),
				);
			}
			const domid = order.u16(body, at + 2);
			const stale = (flags & PERM_FLAG_STALE) !== 0;
			key = (body[at]! << 17) | (domid << 1) | (stale ? 1 : 0);
			(perms as NodePerm[])[i] = permOf(letter, domid, stale, key);
		}
		if (permCount === 1) {
			const shared = singleCache.get(key);
			if (shared) perms = shared;
			else if (singleCache.size < PERM_CACHE_LIMIT) singleCache.set(key, Object.freeze(perms));
		}
		const path = cString(ctx, body, pathAt, pathLen, 'node path');
		if (connId === 0) {
			if (txId !== 0) {
				ctx.report(problemAt(ctx, 'reserved-field', 4, `a committed node (conn-id 0) has tx-id ${txId}`));
				txId = 0;
			}
			if (access !== 0) {
				ctx.report(problemAt(ctx, 'reserved-field', 12, `a committed node (conn-id 0) has access ${access}`));
				access = 0;
			}
			if (permCount === 0)
				throw problemAt(ctx, 'bad-value', 14, 'a committed node has no perms, not even its owner');
		} else {
			if ((access & ~NODE_ACCESS_MASK) !== 0) {
				ctx.report(
					problemAt(ctx, 'reserved-field', 12, `access 0x${access.toString(16)} sets undefined bits`),
				);
				access &= NODE_ACCESS_MASK;
			}
			if ((access === 0) !== (permCount === 0)) {
				throw problemAt(
					ctx,
					'bad-value',
					14,
					access === 0
						? `a node deleted in a transaction (access 0) has ${permCount} perms`
						: `a node in a transaction with access ${access} has no perms`,
				);
			}
			if (access === 0 && valueLen !== 0) {
				throw problemAt(
					ctx,
					'bad-value',
					10,
					`a node deleted in a transaction has a value of ${valueLen} bytes`,
				);
			}
		}
		finishBody(ctx, body, end);
		return {
			type: 'NODE_DATA',
			connId,
			txId,
			access,
			perms,
			path,
			value: valueLen === 0 ? EMPTY_VALUE : copyBytes(body, valueAt, end),
		};
	},
};
