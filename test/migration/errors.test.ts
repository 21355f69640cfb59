import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROBLEMS, StreamError } from '../../src/migration/problems.ts';
import { header, Layout, record } from '../fixtures/migration/layout.ts';
import { allProblems, readAll, readError } from './helpers.ts';

const LE = 'little' as const;
const L = () => new Layout(LE);
const rec = (type: number, body: Layout | Buffer) =>
	record(LE, type, Buffer.isBuffer(body) ? body : body.build());
const END = rec(0, Buffer.alloc(0));
const node = (
	path: string,
	perms: [string, number, number][] = [['n', 0, 0]],
	conn = 0,
	tx = 0,
	access = 0,
	value = '',
) => {
	const l = L()
		.u32(conn)
		.u32(tx)
		.u16(path.length + 1)
		.u16(value.length)
		.u16(access)
		.u16(perms.length);
	for (const [letter, flags, domid] of perms) l.u8(letter.charCodeAt(0)).u8(flags).u16(domid);
	return rec(5, l.cstr(path).bytes(value));
};
const ROOT = node('/');
const conn = (id: number) => rec(2, L().u32(id).u16(1).u16(0).i32(9).u32(0).u16(0).u16(0).u32(0));
const stream = (...records: Buffer[]) => Buffer.concat([header(1, LE), ...records]);

/** Expect a strict read to fail with `code` at `offset`, in record `index` of `type`, saying `reason`. */
async function rejects(
	bytes: Buffer,
	code: string,
	offset: number,
	index: number | undefined,
	type: string | undefined,
	reason: RegExp,
) {
	const e = await readError(bytes);
	assert.ok(e instanceof StreamError);
	assert.equal(e.code, code, e.message);
	assert.equal(e.offset, offset, e.message);
	assert.equal(e.index, index, e.message);
	assert.equal(e.recordType, type, e.message);
	assert.match(e.message, reason);
	assert.match(e.message, new RegExp(`byte ${offset} `));
}

describe('strict reading: typed errors with offset, record index, type and reason', () => {
	it('bad ident', async () => {
		const bytes = stream(END);
		bytes.write('xenstorE', 0, 'latin1');
		await rejects(bytes, 'bad-ident', 0, undefined, 'header', /^header at byte 0 .*not "xenstore"/);
	});

	it('unsupported version', async () => {
		await rejects(
			Buffer.concat([header(3, LE), END]),
			'unsupported-version',
			8,
			undefined,
			'header',
			/version 3/,
		);
	});

	it('reserved flag bits', async () => {
		await rejects(
			Buffer.concat([header(1, LE, 0x10), END]),
			'reserved-flags',
			12,
			undefined,
			'header',
			/reserved bits/,
		);
	});

	it('truncated header', async () => {
		await rejects(stream(END).subarray(0, 12), 'truncated-header', 12, undefined, 'header', /12 of 16/);
	});

	it('truncated record header and record body', async () => {
		await rejects(
			stream(ROOT).subarray(0, 16 + 5),
			'truncated-record',
			21,
			0,
			undefined,
			/5 bytes into a record header/,
		);
		await rejects(
			stream(ROOT).subarray(0, 16 + 20),
			'truncated-record',
			36,
			0,
			'NODE_DATA',
			/20 bytes into a record of 32/,
		);
	});

	it('a length that does not fit the record', async () => {
		const short = rec(5, L().u32(0).u32(0).u16(30).u16(0).u16(0).u16(1).u8(0x6e).u8(0).u16(0).cstr('/'));
		await rejects(
			stream(short),
			'length-mismatch',
			16 + 8 + 24,
			0,
			'NODE_DATA',
			/needs 50 bytes but the record's length is 24/,
		);
		const long = Buffer.concat([L().u32(1).u32(16).build(), Buffer.alloc(16)]);
		await rejects(
			stream(long),
			'length-mismatch',
			16 + 8 + 8,
			0,
			'GLOBAL_DATA',
			/fields end after 8 bytes but the record's length is 16/,
		);
	});

	it('unknown record type', async () => {
		await rejects(stream(rec(9, Buffer.alloc(8)), END), 'unknown-type', 16, 0, 'TYPE_0x00000009', /type 9/);
	});

	it('a version-2 record in a version-1 stream', async () => {
		const ext = rec(8, L().u32(1).u16(2).u16(2).u16(0).u16(0).cstr('/').cstr('t'));
		await rejects(
			stream(conn(1), ext, END),
			'version-mismatch',
			16 + 32,
			1,
			'WATCH_DATA_EXTENDED',
			/version 1/,
		);
		const dom = rec(7, L().u16(1).u16(0).u32(4));
		await rejects(
			stream(dom, END),
			'version-mismatch',
			16 + 8 + 4,
			0,
			'DOMAIN_DATA',
			/features 0x4 in a version-1 stream/,
		);
	});

	it('a node whose parent is not yet known', async () => {
		await rejects(
			stream(ROOT, node('/a/b'), END),
			'unknown-parent',
			16 + 32,
			1,
			'NODE_DATA',
			/before its parent "\/a"/,
		);
	});

	it('a watch or transaction naming an unknown connection', async () => {
		const watch = rec(3, L().u32(4).u16(2).u16(2).cstr('/').cstr('t'));
		await rejects(
			stream(conn(1), watch, END),
			'unknown-connection',
			48,
			1,
			'WATCH_DATA',
			/connection 4, not yet seen/,
		);
		const tx = rec(4, L().u32(3).u32(1));
		await rejects(stream(tx, END), 'unknown-connection', 16, 0, 'TRANSACTION_DATA', /connection 3/);
	});

	it('a transaction node naming an unknown transaction', async () => {
		const tx = rec(4, L().u32(1).u32(1));
		const bytes = stream(conn(1), tx, ROOT, node('/a', [['n', 0, 0]], 1, 2, 2), END);
		await rejects(
			bytes,
			'unknown-transaction',
			16 + 32 + 16 + 32,
			3,
			'NODE_DATA',
			/transaction 2 of connection 1/,
		);
	});

	it('END missing, not last, or followed by bytes', async () => {
		await rejects(
			stream(ROOT),
			'missing-end',
			48,
			undefined,
			undefined,
			/stream at byte 48 .*after 1 records without END/,
		);
		await rejects(stream(END, ROOT), 'data-after-end', 24, undefined, undefined, /32 bytes follow the END/);
		await rejects(
			Buffer.concat([stream(END), Buffer.from([0])]),
			'data-after-end',
			24,
			undefined,
			undefined,
			/1 bytes follow/,
		);
	});

	it('bad strings, paths, perms and values', async () => {
		const noNul = rec(5, L().u32(0).u32(0).u16(2).u16(0).u16(0).u16(1).u8(0x6e).u8(0).u16(0).bytes('/a'));
		await rejects(
			stream(ROOT, noNul, END),
			'bad-string',
			16 + 32 + 8 + 21,
			1,
			'NODE_DATA',
			/does not end with a NUL/,
		);
		await rejects(stream(ROOT, node('/a//b'), END), 'bad-path', 48, 1, 'NODE_DATA', /not a node path/);
		await rejects(
			stream(node('/', [['x', 0, 0]]), END),
			'bad-value',
			16 + 8 + 16,
			0,
			'NODE_DATA',
			/letter 0x78/,
		);
		await rejects(
			stream(node('/', [['n', 2, 0]]), END),
			'reserved-field',
			16 + 8 + 17,
			0,
			'NODE_DATA',
			/flags 0x2/,
		);
		await rejects(stream(node('/', [])), 'bad-value', 16 + 8 + 14, 0, 'NODE_DATA', /no perms/);
		await rejects(stream(conn(1), conn(1), END), 'duplicate', 48, 1, 'CONNECTION_DATA', /given twice/);
		const padded = stream(ROOT, END);
		padded[16 + 8 + 16 + 4 + 2] = 1; // a padding byte after "/\0"
		await rejects(padded, 'reserved-field', 16 + 8 + 22, 0, 'NODE_DATA', /padding byte is 0x1/);
	});

	it('refuses a record longer than the limit before reading its body', async () => {
		const huge = L().u32(5).u32(0xfffffff8).build();
		await rejects(stream(huge), 'record-too-large', 16, 0, 'NODE_DATA', /4294967288/);
	});
});

describe('lenient reading', () => {
	it('skips what it may skip and keeps the rest, as the dispositions say', async () => {
		const bytes = stream(
			rec(9, Buffer.alloc(8)), // unknown type: skipped
			ROOT,
			node('/x/y'), // unknown parent: kept
			rec(3, L().u32(4).u16(2).u16(2).cstr('/').cstr('t')), // unknown connection: skipped
			node('/', [['n', 2, 0]]), // duplicate after reserved flags: skipped
			END,
			Buffer.from([1, 2, 3]), // data after END: ignored
		);
		const seen: string[] = [];
		const records = await readAll(bytes, { lenient: true, onProblem: (p) => seen.push(p.code) });
		assert.deepEqual(
			records.map((r) => (r.type === 'NODE_DATA' ? r.path : r.type)),
			['/', '/x/y', 'END'],
		);
		assert.deepEqual(seen, [
			'unknown-type',
			'unknown-parent',
			'unknown-connection',
			'reserved-field',
			'duplicate',
			'data-after-end',
		]);
	});

	it('still stops at what cannot be read past', async () => {
		const e = await readError(stream(ROOT).subarray(0, 30), { lenient: true });
		assert.equal(e.code, 'truncated-record');
		assert.equal(PROBLEMS['truncated-record'].disposition, 'fatal');
	});

	it('lists every problem of a stream in one pass, as check does', async () => {
		const bytes = stream(rec(9, Buffer.alloc(8)), ROOT, node('/a/b'), node('/a//c'), END, Buffer.from([0]));
		const codes = (await allProblems(bytes)).map((p) => `${p.code}@${p.offset}`);
		assert.deepEqual(codes, ['unknown-type@16', 'unknown-parent@64', 'bad-path@104', 'data-after-end@152']);
	});
});
