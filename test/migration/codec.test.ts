import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEncodedRecord, encodeRecord } from '../../src/migration/codec/index.ts';
import { EncodeError } from '../../src/migration/problems.ts';
import type { MigrationRecord } from '../../src/migration/records.ts';
import { encodeStreamToBuffer } from '../../src/migration/writer.ts';
import { everyRecordStream, header, Layout, record, VECTOR } from '../fixtures/migration/layout.ts';
import { readAll } from './helpers.ts';

/** The records of layout.ts's everyRecordStream, typed. */
const EXPECTED: MigrationRecord[] = [
	{ type: 'GLOBAL_DATA', ...VECTOR.global },
	{ type: 'GLOBAL_QUOTA_DATA', ...VECTOR.globalQuota },
	{
		type: 'CONNECTION_DATA',
		connId: VECTOR.ring.connId,
		spec: { kind: 'ring', domid: VECTOR.ring.domid, target: 0x7ff4, evtchn: VECTOR.ring.evtchn },
		pendingIn: VECTOR.ring.pendingIn,
		pendingOut: VECTOR.ring.pendingOut,
		partialResponseLength: VECTOR.ring.partialResponseLength,
		uniqueId: VECTOR.ring.uniqueId,
	},
	{
		type: 'CONNECTION_DATA',
		connId: VECTOR.socket.connId,
		spec: { kind: 'socket', fd: VECTOR.socket.fd },
		pendingIn: Buffer.alloc(0),
		pendingOut: Buffer.alloc(0),
		partialResponseLength: 0,
	},
	{ type: 'WATCH_DATA', ...VECTOR.watch },
	{ type: 'WATCH_DATA_EXTENDED', ...VECTOR.watchExtended },
	{ type: 'TRANSACTION_DATA', ...VECTOR.transaction },
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
			{ access: 'b', domid: 5, stale: false },
			{ access: 'r', domid: 7, stale: true },
		],
		path: '/vm',
		value: Buffer.from('a\0b', 'latin1'),
	},
	{
		type: 'NODE_DATA',
		connId: 2,
		txId: 9,
		access: 3,
		perms: [{ access: 'w', domid: 0, stale: false }],
		path: '/vm/a',
		value: Buffer.from('x'),
	},
	{ type: 'NODE_DATA', connId: 2, txId: 9, access: 0, perms: [], path: '/vm/b', value: Buffer.alloc(0) },
	{ type: 'DOMAIN_DATA', ...VECTOR.domain },
	{ type: 'END' },
];

describe('codec against streams laid out by hand from the design document', () => {
	for (const endian of ['little', 'big'] as const) {
		it(`reads a version-2 ${endian}-endian stream field by field`, async () => {
			assert.deepEqual(await readAll(everyRecordStream(endian)), EXPECTED);
		});

		it(`writes the same ${endian}-endian bytes, zero padding and padded lengths included`, async () => {
			assert.deepEqual(
				await encodeStreamToBuffer(EXPECTED, { version: 2, endian }),
				everyRecordStream(endian),
			);
		});

		it(`reads ${endian}-endian records whose len leaves the padding out (the design's reading)`, async () => {
			assert.deepEqual(await readAll(everyRecordStream(endian, false)), EXPECTED);
		});
	}

	it('reads the stream in one-byte chunks as well as whole', async () => {
		assert.deepEqual(await readAll(everyRecordStream('big'), {}, 1), EXPECTED);
	});

	it('puts the header in big-endian whatever the records are', async () => {
		const bytes = await encodeStreamToBuffer([{ type: 'END' }], { version: 1, endian: 'little' });
		assert.deepEqual(bytes, Buffer.concat([header(1, 'little'), record('little', 0, Buffer.alloc(0))]));
		assert.equal(bytes.readUInt32BE(8), 1);
	});
});

describe('encodeRecord / decodeEncodedRecord', () => {
	it('round-trips every record type in both byte orders', () => {
		for (const endian of ['little', 'big'] as const) {
			for (const r of EXPECTED) {
				const bytes = encodeRecord(r, { endian, version: 2 });
				assert.equal(bytes.length % 8, 0, `${r.type} is padded to 8`);
				assert.deepEqual(decodeEncodedRecord(bytes, { endian, version: 2 }), r);
			}
		}
	});

	it('lays out WATCH_DATA_EXTENDED with depth and a zero pad before the strings', () => {
		const bytes = encodeRecord(EXPECTED[5]!, { endian: 'little', version: 2 });
		const body = new Layout('little')
			.u32(2)
			.u16(8)
			.u16(2)
			.u16(3)
			.u16(0)
			.cstr('/local/')
			.cstr('d')
			.pad()
			.build();
		assert.deepEqual(bytes, record('little', 8, body));
	});

	it('refuses what the format cannot hold', () => {
		const node = EXPECTED[8] as Extract<MigrationRecord, { type: 'NODE_DATA' }>;
		const cases: [MigrationRecord, number, RegExp][] = [
			[EXPECTED[5]!, 1, /from version 2 on/],
			[{ ...node, value: Buffer.alloc(65536) }, 2, /value-len 65536/],
			[{ ...node, path: 'a'.repeat(65535) }, 2, /at most 65534 fit/],
			[{ ...node, path: '/a\0b' }, 2, /NUL/],
			[{ ...node, path: '/caf\u0101' }, 2, /above 0xFF/],
			[{ ...node, perms: [{ access: 'x' as 'n', domid: 0, stale: false }] }, 2, /perm letter/],
			[{ ...node, perms: [{ access: 'n', domid: 70000, stale: false }] }, 2, /domid 70000/],
			[{ type: 'DOMAIN_DATA', domid: 1, features: 1, quotas: [] }, 1, /from version 2 on/],
			[{ type: 'GLOBAL_DATA', socketFd: 2 ** 31, evtchnFd: 0 }, 1, /32-bit signed/],
			[
				{
					...(EXPECTED[3] as Extract<MigrationRecord, { type: 'CONNECTION_DATA' }>),
					partialResponseLength: 1,
				},
				1,
				/exceeds out-data-len/,
			],
		];
		for (const [r, version, pattern] of cases) {
			assert.throws(
				() => encodeRecord(r, { endian: 'little', version: version as 1 | 2 }),
				(e: Error) => {
					assert.ok(e instanceof EncodeError);
					assert.match(e.message, pattern);
					return true;
				},
			);
		}
	});
});
