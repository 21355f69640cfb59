/** Shared helpers of the migration tests. */

import type { StreamError } from '../../src/migration/problems.ts';
import { type ReadOptions, readStream, readStreamItems } from '../../src/migration/reader.ts';
import type { MigrationRecord } from '../../src/migration/records.ts';

/** Read a whole stream held in memory, in chunks of `chunk` bytes. */
export async function readAll(
	bytes: Buffer,
	options: ReadOptions = {},
	chunk = 4096,
): Promise<MigrationRecord[]> {
	const out: MigrationRecord[] = [];
	for await (const r of readStream(chunks(bytes, chunk), options)) out.push(r);
	return out;
}

export function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
	for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The error a strict read of `bytes` throws (fails the test if it throws none). */
export async function readError(bytes: Buffer, options: ReadOptions = {}): Promise<StreamError> {
	try {
		for await (const _ of readStreamItems([bytes], options)) {
		}
	} catch (e) {
		if ((e as Error).name === 'StreamError') return e as StreamError;
		throw e;
	}
	throw new Error('the read succeeded');
}

/** Every problem of a read that goes on as far as it can (what `check` reports). */
export async function allProblems(bytes: Buffer): Promise<StreamError[]> {
	const problems: StreamError[] = [];
	try {
		for await (const _ of readStreamItems([bytes], { onProblem: (p) => problems.push(p) })) {
		}
	} catch (e) {
		if ((e as Error).name !== 'StreamError') throw e;
		problems.push(e as StreamError);
	}
	return problems;
}
