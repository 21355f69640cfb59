import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonLines, parseJsonForm } from '../../src/migration/json.ts';
import { readStream } from '../../src/migration/reader.ts';
import { recordsFromState, stateFromRecords } from '../../src/migration/state.ts';
import { encodeStreamToBuffer } from '../../src/migration/writer.ts';
import { records, state } from './arbitraries.ts';
import { readAll } from './helpers.ts';

async function* from<T>(items: T[]): AsyncGenerator<T> {
	yield* items;
}

const combos = [
	[1, 'little'],
	[1, 'big'],
	[2, 'little'],
	[2, 'big'],
] as const;

describe('any state written and read back is identical', () => {
	for (const [version, endian] of combos) {
		it(`version ${version}, ${endian}-endian, in chunks of any size`, async () => {
			await fc.assert(
				fc.asyncProperty(state(version), fc.integer({ min: 1, max: 64 }), async (s, chunk) => {
					const bytes = await encodeStreamToBuffer(recordsFromState(s), { version, endian });
					const back = stateFromRecords(await readAll(bytes, {}, chunk));
					assert.deepEqual(back, s);
				}),
				{ numRuns: 60 },
			);
		});
	}

	it('through the JSON form too, byte for byte', async () => {
		await fc.assert(
			fc.asyncProperty(
				records(2),
				fc.constantFrom('little' as const, 'big' as const),
				async (recs, endian) => {
					let text = '';
					for await (const part of jsonLines({ source: 'stream', version: 2, endian }, from(recs)))
						text += part;
					const parsed = parseJsonForm(text);
					assert.deepEqual(parsed.records, recs);
					assert.deepEqual(parsed.header, { source: 'stream', version: 2, endian });
					const bytes = await encodeStreamToBuffer(recs, { version: 2, endian });
					assert.deepEqual(await encodeStreamToBuffer(parsed.records, parsed.header), bytes);
				},
			),
			{ numRuns: 60 },
		);
	});

	it('reading a stream split anywhere gives what reading it whole does', async () => {
		await fc.assert(
			fc.asyncProperty(records(1), fc.array(fc.nat({ max: 200 }), { maxLength: 6 }), async (recs, cuts) => {
				const bytes = await encodeStreamToBuffer(recs, { version: 1, endian: 'little' });
				const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
				const pieces = [0, ...points].map((p, i, all) => bytes.subarray(p, all[i + 1] ?? bytes.length));
				const out = [];
				for await (const r of readStream(pieces)) out.push(r);
				assert.deepEqual(out, recs);
			}),
			{ numRuns: 40 },
		);
	});
});
