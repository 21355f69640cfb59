import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamError } from '../../src/migration/problems.ts';
import type { MigrationRecord } from '../../src/migration/records.ts';
import { readTextDumpItems } from '../../src/migration/text-dump.ts';

const hex = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s).toString('hex');
const dump = (...lines: string[]) =>
	Buffer.from(['$xenstored-dump-format', ...lines, ''].join('\n'), 'latin1');
const store = (path: string, perms: string, value: string | Buffer = '') =>
	`store,${hex(path)},${hex(perms)},${hex(value)}`;

async function read(
	bytes: Buffer,
	lenient = false,
	problems: StreamError[] = [],
): Promise<MigrationRecord[]> {
	const out: MigrationRecord[] = [];
	const onProblem = lenient ? (p: StreamError) => problems.push(p) : undefined;
	for await (const item of readTextDumpItems([bytes], { lenient, onProblem }))
		if (item.kind === 'record') out.push(item.record);
	return out;
}

async function error(bytes: Buffer): Promise<StreamError> {
	try {
		await read(bytes);
	} catch (e) {
		return e as StreamError;
	}
	throw new Error('the read succeeded');
}

describe("oxenstored's text dump", () => {
	it('maps every line kind to records, as oxenstored writes them', async () => {
		const records = await read(
			dump(
				'global,3',
				'evtchn-dev,5,1',
				'dom,0,0,1,10',
				'dom,3,12345,7',
				'socket,8',
				`watch,-8,${hex('/a')},${hex('tok')}`,
				`watch,3,${hex('data')},${hex('t\u00e9')}`,
				store('/', 'n0'),
				store('/a', 'b3\0r0', Buffer.from([0, 1, 255])),
				store('/@releaseDomain', 'n0'),
			),
		);
		assert.deepEqual(records, [
			{ type: 'GLOBAL_DATA', socketFd: 3, evtchnFd: 5, domexcPort: 1 },
			{
				type: 'CONNECTION_DATA',
				connId: 1,
				spec: { kind: 'ring', domid: 0, target: 0x7ff4, evtchn: 10, mfn: 0n, remotePort: 1 },
				pendingIn: Buffer.alloc(0),
				pendingOut: Buffer.alloc(0),
				partialResponseLength: 0,
			},
			{
				type: 'CONNECTION_DATA',
				connId: 2,
				spec: { kind: 'ring', domid: 3, target: 0x7ff4, evtchn: 7, mfn: 12345n, remotePort: 7 },
				pendingIn: Buffer.alloc(0),
				pendingOut: Buffer.alloc(0),
				partialResponseLength: 0,
			},
			{
				type: 'CONNECTION_DATA',
				connId: 3,
				spec: { kind: 'socket', fd: 8 },
				pendingIn: Buffer.alloc(0),
				pendingOut: Buffer.alloc(0),
				partialResponseLength: 0,
			},
			{ type: 'WATCH_DATA', connId: 3, path: '/a', token: 'tok' },
			{ type: 'WATCH_DATA', connId: 2, path: 'data', token: 't\u00e9' },
			{
				type: 'NODE_DATA',
				connId: 0,
				txId: 0,
				access: 0,
				perms: [{ access: 'n', domid: 0, stale: false }],
				path: '/',
				value: Buffer.alloc(0),
			},
			{
				type: 'NODE_DATA',
				connId: 0,
				txId: 0,
				access: 0,
				perms: [
					{ access: 'b', domid: 3, stale: false },
					{ access: 'r', domid: 0, stale: false },
				],
				path: '/a',
				value: Buffer.from([0, 1, 255]),
			},
			{
				type: 'NODE_DATA',
				connId: 0,
				txId: 0,
				access: 0,
				perms: [{ access: 'n', domid: 0, stale: false }],
				path: '@releaseDomain',
				value: Buffer.alloc(0),
			},
			{ type: 'END' },
		]);
	});

	it('names the line, its byte offset and what is wrong', async () => {
		const bytes = dump('global,3', 'bogus,1', store('/', 'n0'));
		const e = await error(bytes);
		assert.equal(e.code, 'unknown-line');
		assert.equal(e.index, 3);
		assert.equal(e.offset, 32);
		assert.match(e.message, /^line 3 \(bogus\) at byte 32 .*no "bogus" line/);
	});

	it('rejects what oxenstored could not have written', async () => {
		const cases: [Buffer, string, RegExp][] = [
			[Buffer.from('xenstore\n'), 'bad-ident', /first line/],
			[dump('socket,x'), 'bad-value', /socket fd "x" is not a number/],
			[dump(`store,2g,${hex('n0')},`), 'bad-value', /path is not hexadecimal/],
			[dump(`watch,-9,${hex('/')},${hex('t')}`), 'unknown-connection', /socket fd 9/],
			[dump(store('/', 'x0')), 'bad-value', /no letter n, r, w or b/],
			[dump(store('/', 'n0'), store('/a/b', 'n0')), 'unknown-parent', /before its parent/],
			[dump('global,1', 'global,2'), 'duplicate', /second global/],
		];
		for (const [bytes, code, reason] of cases) {
			const e = await error(bytes);
			assert.equal(e.code, code, e.message);
			assert.match(e.message, reason);
		}
	});

	it('skips unknown lines when lenient, as oxenstored does', async () => {
		const problems: StreamError[] = [];
		const records = await read(
			dump('global,3', 'global,3,4', 'ro-socket,5', store('/', 'n0')),
			true,
			problems,
		);
		assert.deepEqual(
			records.map((r) => r.type),
			['GLOBAL_DATA', 'NODE_DATA', 'END'],
		);
		assert.deepEqual(
			problems.map((p) => p.code),
			['duplicate', 'unknown-line'],
		);
	});
});
