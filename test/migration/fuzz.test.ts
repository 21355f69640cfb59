/**
 * Mutation fuzzing of valid streams: whatever the bytes, a read ends with records or the typed
 * error, promptly, and never allocates by what a length field claims.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readStreamItems } from '../../src/migration/reader.ts';
import { readTextDumpItems } from '../../src/migration/text-dump.ts';
import { encodeStreamToBuffer } from '../../src/migration/writer.ts';
import { C_FIXTURE, OX_FIXTURE } from '../fixtures/migration/generate.ts';
import { everyRecordStream, header, Layout } from '../fixtures/migration/layout.ts';
import { records } from './arbitraries.ts';
import { chunks } from './helpers.ts';

type Outcome = 'records' | 'error';

/** Read to the end; only StreamError may escape; a read must not take long. */
async function outcome(bytes: Buffer, lenient: boolean, text = false): Promise<Outcome> {
	const started = Date.now();
	try {
		const source = chunks(bytes, 1 + (bytes.length % 97));
		const items = text ? readTextDumpItems(source, { lenient }) : readStreamItems(source, { lenient });
		let last: string | undefined;
		for await (const item of items) last = item.kind === 'record' ? item.record.type : 'header';
		assert.equal(last, 'END', 'a read that ends without error ends with END');
		return 'records';
	} catch (e) {
		assert.equal((e as Error).name, 'StreamError', `only the typed error escapes, not ${(e as Error).stack}`);
		return 'error';
	} finally {
		assert.ok(Date.now() - started < 2000, 'a read of a small stream is prompt');
	}
}

const mutation = (length: number) =>
	fc.oneof(
		fc.record({
			kind: fc.constant('flip' as const),
			at: fc.nat({ max: length - 1 }),
			bits: fc.integer({ min: 1, max: 255 }),
		}),
		fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: length }) }),
		fc.record({
			kind: fc.constant('insert' as const),
			at: fc.nat({ max: length }),
			bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
		}),
		fc.record({
			kind: fc.constant('u32' as const),
			at: fc.nat({ max: Math.max(0, length - 4) }),
			value: fc.nat({ max: 0xffffffff }),
		}),
	);

type Mutation =
	| { kind: 'flip'; at: number; bits: number }
	| { kind: 'cut'; at: number }
	| { kind: 'insert'; at: number; bytes: Uint8Array }
	| { kind: 'u32'; at: number; value: number };

function mutate(bytes: Buffer, ms: Mutation[]): Buffer {
	let b = Buffer.from(bytes);
	for (const m of ms) {
		const at = Math.min(m.at, b.length);
		if (m.kind === 'flip' && at < b.length) b[at]! ^= m.bits;
		else if (m.kind === 'cut') b = b.subarray(0, at);
		else if (m.kind === 'insert')
			b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
		else if (m.kind === 'u32' && at + 4 <= b.length) b.writeUInt32LE(m.value, at);
	}
	return b;
}

describe('mutation fuzzing', () => {
	const seeds = [readFileSync(C_FIXTURE), everyRecordStream('big'), everyRecordStream('little', false)];

	for (const [i, seed] of seeds.entries()) {
		it(`stream ${i}: any mutation reads to records or a StreamError, strict and lenient`, async () => {
			await fc.assert(
				fc.asyncProperty(fc.array(mutation(seed.length), { minLength: 1, maxLength: 4 }), async (ms) => {
					const bytes = mutate(seed, ms);
					await outcome(bytes, false);
					await outcome(bytes, true);
				}),
				{ numRuns: 200 },
			);
		});
	}

	it('generated streams, mutated, do the same', async () => {
		await fc.assert(
			fc.asyncProperty(
				records(2).chain((recs) =>
					fc.tuple(fc.constant(recs), fc.array(mutation(400), { minLength: 1, maxLength: 3 })),
				),
				async ([recs, ms]) => {
					const bytes = mutate(await encodeStreamToBuffer(recs, { version: 2, endian: 'little' }), ms);
					await outcome(bytes, false);
					await outcome(bytes, true);
				},
			),
			{ numRuns: 200 },
		);
	});

	it('oxenstored dumps, mutated, read to records or a StreamError', async () => {
		const seed = readFileSync(OX_FIXTURE);
		await fc.assert(
			fc.asyncProperty(fc.array(mutation(seed.length), { minLength: 1, maxLength: 4 }), async (ms) => {
				const bytes = mutate(seed, ms);
				await outcome(bytes, false, true);
				await outcome(bytes, true, true);
			}),
			{ numRuns: 200 },
		);
	});

	it('a length field of 60 MiB with a few bytes behind it allocates nothing of the kind', async () => {
		const claim = new Layout('little')
			.u32(5)
			.u32(60 * 1024 * 1024)
			.build();
		const bytes = Buffer.concat([header(1, 'little'), claim, Buffer.alloc(100)]);
		const before = process.memoryUsage().arrayBuffers;
		await assert.rejects(
			async () => {
				for await (const _ of readStreamItems(chunks(bytes, 16))) {
				}
			},
			(e: Error & { code?: string }) => e.name === 'StreamError' && e.code === 'truncated-record',
		);
		assert.ok(
			process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024,
			'memory did not follow the claimed length',
		);
	});
});
