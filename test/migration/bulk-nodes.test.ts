import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePerms, encodePerms, StreamBuilder, scanStream } from '../../src/migration/bulk-nodes.ts';
import { byteOrder } from '../../src/migration/codec/byte-order.ts';
import { StreamError } from '../../src/migration/problems.ts';
import type { MigrationRecord, NodeDataRecord } from '../../src/migration/records.ts';
import { recordsFromState, stateFromRecords } from '../../src/migration/state.ts';
import { encodeStreamToBuffer } from '../../src/migration/writer.ts';
import { state } from './arbitraries.ts';

const combos = [
	[1, 'little'],
	[1, 'big'],
	[2, 'little'],
	[2, 'big'],
] as const;

/** Write records the way live update does: committed nodes through the bulk path. */
function build(records: MigrationRecord[], version: 1 | 2, endian: 'little' | 'big'): Buffer {
	const out = new StreamBuilder({ version, endian }, 64);
	const order = byteOrder(endian);
	for (const r of records) {
		if (r.type === 'NODE_DATA' && r.connId === 0)
			out.node(r.path, r.value.toString('latin1'), encodePerms(r.perms, order));
		else out.record(r);
	}
	return out.finish();
}

/** Read a stream the way a successor does, back into records. */
function scan(bytes: Buffer): MigrationRecord[] {
	const out: MigrationRecord[] = [];
	let endian: 'little' | 'big' = 'little';
	scanStream(bytes, {
		header: (h) => {
			endian = h.endian;
		},
		node: (path, value, wire, start, count): void => {
			const node: NodeDataRecord = {
				type: 'NODE_DATA',
				connId: 0,
				txId: 0,
				access: 0,
				perms: decodePerms(wire, start, count, byteOrder(endian)),
				path,
				value: Buffer.from(value, 'latin1'),
			};
			out.push(node);
		},
		record: (r) => out.push(r),
	});
	return [...out, { type: 'END' }];
}

describe('bulk committed nodes', () => {
	for (const [version, endian] of combos) {
		it(`writes the general codec's bytes exactly, version ${version} ${endian}-endian`, async () => {
			await fc.assert(
				fc.asyncProperty(state(version), async (s) => {
					const records = [...recordsFromState(s)];
					assert.deepEqual(
						build(records, version, endian),
						await encodeStreamToBuffer(records, { version, endian }),
					);
				}),
				{ numRuns: 60 },
			);
		});

		it(`reads back any state the general writer wrote, version ${version} ${endian}-endian`, async () => {
			await fc.assert(
				fc.asyncProperty(state(version), async (s) => {
					const bytes = await encodeStreamToBuffer(recordsFromState(s), { version, endian });
					assert.deepEqual(stateFromRecords(scan(bytes)), s);
				}),
				{ numRuns: 60 },
			);
		});
	}

	it('refuses a committed node whose lengths overrun its record, naming the offset', () => {
		const out = new StreamBuilder({ version: 2, endian: 'little' }, 64);
		out.node('/', '', encodePerms([{ access: 'n', domid: 0, stale: false }], byteOrder('little')));
		out.record({ type: 'END' });
		const bytes = Buffer.from(out.finish());
		bytes.writeUInt16LE(200, 16 + 8 + 10); // value length past the record
		assert.throws(
			() => scan(bytes),
			(e: unknown) => e instanceof StreamError && e.code === 'length-mismatch' && e.message.includes('16'),
		);
	});

	it('refuses a stream that stops before END, and bytes after it', () => {
		const out = new StreamBuilder({ version: 2, endian: 'little' }, 64);
		out.node('/', 'v', encodePerms([{ access: 'b', domid: 0, stale: false }], byteOrder('little')));
		const unfinished = out.finish();
		assert.throws(
			() => scan(unfinished),
			(e: unknown) => e instanceof StreamError && e.code === 'missing-end',
		);
		out.record({ type: 'END' });
		const trailing = Buffer.concat([out.finish(), Buffer.alloc(8)]);
		assert.throws(
			() => scan(trailing),
			(e: unknown) => e instanceof StreamError && e.code === 'data-after-end',
		);
	});
});
