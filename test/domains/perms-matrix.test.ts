/**
 * The permission matrix through raw frames: every operation against every kind of perm entry,
 * as each emulated domain, outside and inside transactions, and the watch events each domain
 * hears. Expected results come from perms-table.ts (the rules), never from the daemon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { splitStrings } from '../../src/protocol/payload.ts';
import { Emulation } from './emulation.ts';
import { base, setUpMatrix } from './perms-setup.ts';
import {
	type Access,
	CALLERS,
	type CallerId,
	EXPECT,
	inherited,
	permsFor,
	ROWS,
	type Row,
} from './perms-table.ts';
import { MessageType, type RawClient, type Reply, strings, type WatchEvent } from './raw.ts';

/** What a reply shows in the comparison: the error name, or OK and the data that matters. */
function shown(op: string, r: Reply): string {
	if (r.error !== undefined) return r.error;
	switch (op) {
		case 'READ':
			return `OK ${r.payload.toString('latin1')}`;
		case 'GET_PERMS':
		case 'DIRECTORY':
			return `OK ${splitStrings(r.payload).join(',')}`;
		case 'DIRECTORY_PART': {
			// gencnt\0 then the names, then an extra NUL when the list is complete.
			const [, ...names] = splitStrings(r.payload);
			return `OK ${names.filter((n) => n !== '').join(',')}`;
		}
		default:
			return 'OK';
	}
}

interface Step {
	op: string;
	type: number;
	payload: Buffer;
	want: string;
}

/** The operations of the matrix on one row's node, in order, with what each must answer. */
function steps(row: Row, caller: CallerId, b: string): Step[] {
	const a = row.access[caller];
	const perms = permsFor(row, caller);
	const n = `${b}/node`;
	const owner = perms[0]!;
	const newOwner = owner.slice(1) === '0' ? `${owner[0]}1` : `${owner[0]}0`;
	const ok = (data: string) => (EXPECT.readExisting(a) === 'OK' ? `OK ${data}` : 'EACCES');
	const s = (op: string, type: number, payload: Buffer, want: string): Step => ({ op, type, payload, want });
	return [
		s('READ', MessageType.READ, strings(n), ok('v')),
		s('GET_PERMS', MessageType.GET_PERMS, strings(n), ok(perms.join(','))),
		s('DIRECTORY', MessageType.DIRECTORY, strings(n), ok('kid')),
		s('DIRECTORY_PART', MessageType.DIRECTORY_PART, strings(n, '0'), ok('kid')),
		s('READ missing', MessageType.READ, strings(`${n}/missing`), EXPECT.readMissing(a)),
		s('READ missing/deeper', MessageType.READ, strings(`${n}/missing/deeper`), EXPECT.readMissing(a)),
		s('DIRECTORY missing', MessageType.DIRECTORY, strings(`${n}/missing`), EXPECT.readMissing(a)),
		s('GET_PERMS missing', MessageType.GET_PERMS, strings(`${n}/missing`), EXPECT.readMissing(a)),
		s('WRITE new/deep', MessageType.WRITE, Buffer.from(`${n}/new/deep\0x`), EXPECT.createBelow(a)),
		s('MKDIR new', MessageType.MKDIR, strings(`${n}/dir`), EXPECT.createBelow(a)),
		s('RM missing', MessageType.RM, strings(`${n}/missing`), EXPECT.rmMissing(a)),
		s(
			'SET_PERMS missing',
			MessageType.SET_PERMS,
			strings(`${n}/missing`, `n${caller}`),
			EXPECT.setPermsMissing(a),
		),
		s('WRITE existing', MessageType.WRITE, Buffer.from(`${n}\0w`), EXPECT.writeExisting(a)),
		s('MKDIR existing', MessageType.MKDIR, strings(n), EXPECT.writeExisting(a)),
		s('SET_PERMS same owner', MessageType.SET_PERMS, strings(n, ...perms), EXPECT.setPermsSameOwner(a)),
		s(
			'SET_PERMS new owner',
			MessageType.SET_PERMS,
			strings(n, newOwner, ...perms.slice(1)),
			EXPECT.setPermsNewOwner(a),
		),
		s('RM existing', MessageType.RM, strings(n), EXPECT.writeExisting(a)),
	];
}

/** Run every step; return the answers and the expectations as comparable lines. */
async function run(
	c: RawClient,
	row: Row,
	caller: CallerId,
	b: string,
	txId: number,
): Promise<{ got: string[]; want: string[] }> {
	const got: string[] = [];
	const want: string[] = [];
	for (const step of steps(row, caller, b)) {
		const r = await c.request(step.type, step.payload, txId);
		got.push(`${row.name}: ${step.op} -> ${shown(step.op, r)}`);
		want.push(`${row.name}: ${step.op} -> ${step.want}`);
	}
	return { got, want };
}

describe('permission matrix, raw frames', () => {
	let emu: Emulation;
	const conns = new Map<CallerId, RawClient>();

	before(async () => {
		emu = await Emulation.start();
		await setUpMatrix(emu, ['ops', 'tx', 'watch']);
		for (const d of CALLERS) conns.set(d, await emu.connect(d));
	});
	after(() => emu?.stop());

	for (const caller of CALLERS) {
		it(`domain ${caller}: every operation against every kind of entry`, async () => {
			const c = conns.get(caller)!;
			const got: string[] = [];
			const want: string[] = [];
			for (const row of ROWS) {
				const b = base('ops', caller, row);
				const r = await run(c, row, caller, b, 0);
				got.push(...r.got);
				want.push(...r.want);
			}
			assert.deepEqual(got, want);
		});

		it(`domain ${caller}: nodes it creates are its own, with the parent's other entries`, async () => {
			const c = conns.get(caller)!;
			const got: string[] = [];
			const want: string[] = [];
			for (const row of ROWS.filter((r) => r.access[caller].includes('W'))) {
				const n = `${base('ops', caller, row)}/made`;
				await emu.dom0.ok(MessageType.WRITE, Buffer.from(`${n}\0`));
				await emu.dom0.ok(MessageType.SET_PERMS, strings(n, ...permsFor(row, caller)));
				assert.equal((await c.write(`${n}/a/b`, 'x')).error, undefined, row.name);
				for (const p of [`${n}/a`, `${n}/a/b`]) {
					got.push(`${row.name}: ${p.slice(n.length)} ${(await emu.dom0.getPerms(p)).join(',')}`);
					want.push(
						`${row.name}: ${p.slice(n.length)} ${inherited(permsFor(row, caller), caller).join(',')}`,
					);
				}
			}
			assert.deepEqual(got, want);
		});

		it(`domain ${caller}: the same answers inside a transaction, which then commits`, async () => {
			const c = conns.get(caller)!;
			const got: string[] = [];
			const want: string[] = [];
			for (const row of ROWS) {
				const b = base('tx', caller, row);
				const tx = await c.startTransaction();
				const r = await run(c, row, caller, b, tx);
				got.push(...r.got, `${row.name}: commit -> ${await c.endTransaction(tx, true)}`);
				want.push(...r.want, `${row.name}: commit -> OK`);
				// RM of the node was the last step: committed only if the domain could write it.
				const after = (await emu.dom0.read(`${b}/node`)).error ?? 'OK';
				got.push(`${row.name}: node after commit -> ${after}`);
				want.push(`${row.name}: node after commit -> ${row.access[caller].includes('W') ? 'ENOENT' : 'OK'}`);
			}
			assert.deepEqual(got, want);
		});

		it(`domain ${caller}: hears of changes only where it may read (new or old perms)`, async () => {
			const w = await emu.connect(caller);
			const { dom0 } = emu;
			const ev = (path: string, token: string): WatchEvent => ({ path, token });
			const hears = (row: Row, a: Access = row.access[caller]) => EXPECT.event(a);
			// WATCH itself checks nothing: every watch fires once at once.
			for (const row of ROWS) {
				const b = base('watch', caller, row);
				for (const [p, t] of [
					[`${b}/node`, row.name],
					[`${b}/gone`, `${row.name}:gone`],
					[`${b}/grant`, `${row.name}:grant`],
				] as const)
					assert.equal(await w.watch(p, t), 'OK');
			}
			assert.deepEqual(
				await w.events(),
				ROWS.flatMap((row) => {
					const b = base('watch', caller, row);
					return [
						ev(`${b}/node`, row.name),
						ev(`${b}/gone`, `${row.name}:gone`),
						ev(`${b}/grant`, `${row.name}:grant`),
					];
				}),
			);
			const stepCheck = async (
				what: string,
				act: (row: Row, b: string) => Promise<Reply>,
				heard: (row: Row, b: string) => WatchEvent | undefined,
				rows = ROWS,
			) => {
				const want: WatchEvent[] = [];
				for (const row of rows) {
					const b = base('watch', caller, row);
					assert.equal((await act(row, b)).error, undefined, `${what} ${row.name}`);
					const e = heard(row, b);
					if (e) want.push(e);
				}
				assert.deepEqual(await w.events(), want, what);
			};
			await stepCheck(
				'value written',
				(_r, b) => dom0.write(`${b}/node`, 'changed'),
				(r, b) => (hears(r) ? ev(`${b}/node`, r.name) : undefined),
			);
			await stepCheck(
				'child created',
				(_r, b) => dom0.write(`${b}/node/kid2`, 'x'),
				(r, b) => (hears(r) ? ev(`${b}/node/kid2`, r.name) : undefined),
			);
			await stepCheck(
				'child removed',
				(_r, b) => dom0.request(MessageType.RM, strings(`${b}/node/kid`)),
				(r, b) => (hears(r) ? ev(`${b}/node/kid`, r.name) : undefined),
			);
			await stepCheck(
				'node removed',
				(_r, b) => dom0.request(MessageType.RM, strings(`${b}/gone`)),
				(r, b) => (hears(r) ? ev(`${b}/gone`, `${r.name}:gone`) : undefined),
			);
			await stepCheck(
				'perms taken away (the old perms decide)',
				(_r, b) => dom0.setPerms(`${b}/node`, ['n0']),
				(r, b) => (hears(r) ? ev(`${b}/node`, r.name) : undefined),
			);
			await stepCheck(
				'nobody may read it now',
				(_r, b) => dom0.write(`${b}/node`, 'unseen'),
				() => undefined,
			);
			// Perms written now are fresh: rows whose point is an old, stale entry do not apply.
			await stepCheck(
				'perms granted (the new perms decide)',
				(r, b) => dom0.setPerms(`${b}/grant`, permsFor(r, caller)),
				(r, b) => (hears(r) ? ev(`${b}/grant`, `${r.name}:grant`) : undefined),
				ROWS.filter((r) => !r.beforeRelease),
			);
			w.close();
		});
	}

	it("watch events: the node's parent readable is enough, a grandparent is not", async () => {
		const { dom0 } = emu;
		const ev = (path: string): WatchEvent => ({ path, token: 't' });
		for (const [path, perms] of [
			['/wp/par/kid', ['n0']],
			['/wp/par', ['n0', 'r1']],
			['/wp/gp/mid/leaf', ['n0']],
			['/wp/gp/mid', ['n0']],
			['/wp/gp', ['n0', 'r1']],
		] as const) {
			assert.equal((await dom0.write(path, '')).error, undefined);
			assert.equal((await dom0.setPerms(path, [...perms])).error, undefined);
		}
		const w = await emu.connect(1);
		assert.equal(await w.watch('/wp', 't'), 'OK');
		await w.events();
		for (const p of ['/wp/par/kid', '/wp/gp/mid/leaf', '/wp/par/new'])
			assert.equal((await dom0.write(p, 'x')).error, undefined);
		assert.deepEqual(await w.events(), [ev('/wp/par/kid'), ev('/wp/par/new')]);
		assert.equal(await dom0.outcome(MessageType.RM, strings('/wp/par/kid')), 'OK');
		assert.equal(await dom0.outcome(MessageType.RM, strings('/wp/gp/mid')), 'OK');
		assert.deepEqual(await w.events(), [ev('/wp/par/kid'), ev('/wp/gp/mid')]);
		w.close();
	});

	it("a transaction's events reach watchers at commit, each only where it may read", async () => {
		const { dom0 } = emu;
		assert.equal((await dom0.write('/txw/node', '')).error, undefined);
		assert.equal((await dom0.setPerms('/txw/node', ['n0', 'w1', 'r2'])).error, undefined);
		const writer = await emu.connect(1);
		const reader = await emu.connect(2);
		const stranger = await emu.connect(5);
		for (const c of [reader, stranger]) {
			assert.equal(await c.watch('/txw', 't'), 'OK');
			await c.events();
		}
		const aborted = await writer.startTransaction();
		assert.equal((await writer.write('/txw/node', 'never', aborted)).error, undefined);
		assert.equal(await writer.endTransaction(aborted, false), 'OK');
		const tx = await writer.startTransaction();
		assert.equal((await writer.write('/txw/node', 'a', tx)).error, undefined);
		assert.equal((await writer.write('/txw/node/new', 'b', tx)).error, undefined);
		assert.deepEqual(await reader.events(), [], 'nothing before the commit');
		assert.equal(await writer.endTransaction(tx, true), 'OK');
		assert.deepEqual(await reader.events(), [
			{ path: '/txw/node', token: 't' },
			{ path: '/txw/node/new', token: 't' },
		]);
		assert.deepEqual(await stranger.events(), []);
		for (const c of [writer, reader, stranger]) c.close();
	});
});
