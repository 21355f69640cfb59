/**
 * GLOBAL_QUOTA_DATA (counts of per-domain and global-only quotas, values, NUL-terminated names)
 * and DOMAIN_DATA (domid, quota count, features from version 2, values, names).
 */
import { RecordType, UINT16_MAX } from '../constants.ts';
import { EncodeError } from '../problems.ts';
import type { DomainDataRecord, GlobalQuotaDataRecord, MigrationRecord, QuotaValue } from '../records.ts';
import type { ByteOrder } from './byte-order.ts';
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
} from './fields.ts';
import type { RecordCodec } from './record-codec.ts';

function quotasSize(r: MigrationRecord, quotas: readonly QuotaValue[]): number {
	let n = 4 * quotas.length;
	for (const q of quotas) {
		checkU32(r, `quota ${q.name}`, q.value);
		if (q.name.length === 0) throw new EncodeError(r.type, 'a quota name is empty');
		checkCString(r, 'quota name', q.name, UINT16_MAX);
		n += q.name.length + 1;
	}
	return n;
}

function writeQuotas(quotas: readonly QuotaValue[], buf: Buffer, at: number, order: ByteOrder): void {
	for (const q of quotas) {
		order.putU32(buf, at, q.value);
		at += 4;
	}
	for (const q of quotas) at = putCString(buf, at, q.name);
}

/** Read `count` values at `at`, then as many names; returns them and where the names end. */
function readQuotas(body: Buffer, ctx: DecodeContext, at: number, count: number): [QuotaValue[], number] {
	need(ctx, body, at + 4 * count, `${count} quota values`);
	const quotas: QuotaValue[] = new Array(count);
	let nameAt = at + 4 * count;
	for (let i = 0; i < count; i++) {
		const nul = body.indexOf(0, nameAt);
		if (nul < 0) {
			throw problemAt(
				ctx,
				'length-mismatch',
				body.length,
				`the record ends inside quota name ${i} of ${count}`,
			);
		}
		const name = cString(ctx, body, nameAt, nul - nameAt + 1, 'quota name');
		if (name.length === 0) throw problemAt(ctx, 'bad-string', nameAt, `quota name ${i} is empty`);
		quotas[i] = { name, value: ctx.order.u32(body, at + 4 * i) };
		nameAt = nul + 1;
	}
	return [quotas, nameAt];
}

export const globalQuotaDataCodec: RecordCodec<GlobalQuotaDataRecord> = {
	code: RecordType.GLOBAL_QUOTA_DATA,
	size(r) {
		checkU16(r, 'n-dom-quota', r.perDomain.length);
		checkU16(r, 'n-glob-quota', r.globalOnly.length);
		return 4 + quotasSize(r, r.perDomain) + quotasSize(r, r.globalOnly);
	},
	write(r, buf, o, order) {
		order.putU16(buf, o, r.perDomain.length);
		order.putU16(buf, o + 2, r.globalOnly.length);
		writeQuotas([...r.perDomain, ...r.globalOnly], buf, o + 4, order);
	},
	decode(body, ctx) {
		need(ctx, body, 4, 'GLOBAL_QUOTA_DATA');
		const nDom = ctx.order.u16(body, 0);
		const nGlob = ctx.order.u16(body, 2);
		const [quotas, end] = readQuotas(body, ctx, 4, nDom + nGlob);
		finishBody(ctx, body, end);
		return { type: 'GLOBAL_QUOTA_DATA', perDomain: quotas.slice(0, nDom), globalOnly: quotas.slice(nDom) };
	},
};

export const domainDataCodec: RecordCodec<DomainDataRecord> = {
	code: RecordType.DOMAIN_DATA,
	size(r, version) {
		checkU16(r, 'domid', r.domid);
		checkU16(r, 'n-quota', r.quotas.length);
		checkU32(r, 'features', r.features);
		if (version < 2 && r.features !== 0) {
			throw new EncodeError(r.type, `features 0x${r.features.toString(16)} exist from version 2 on`);
		}
		return 8 + quotasSize(r, r.quotas);
	},
	write(r, buf, o, order) {
		order.putU16(buf, o, r.domid);
		order.putU16(buf, o + 2, r.quotas.length);
		order.putU32(buf, o + 4, r.features);
		writeQuotas(r.quotas, buf, o + 8, order);
	},
	decode(body, ctx) {
		need(ctx, body, 8, 'DOMAIN_DATA');
		const domid = ctx.order.u16(body, 0);
		const count = ctx.order.u16(body, 2);
		let features = ctx.order.u32(body, 4);
		if (ctx.version < 2 && features !== 0) {
			ctx.report(
				problemAt(ctx, 'version-mismatch', 4, `features 0x${features.toString(16)} in a version-1 stream`),
			);
			features = 0;
		}
		const [quotas, end] = readQuotas(body, ctx, 8, count);
		finishBody(ctx, body, end);
		return { type: 'DOMAIN_DATA', domid, features, quotas };
	},
};
