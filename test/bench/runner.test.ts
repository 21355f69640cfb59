import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan, rotate } from '../../bench/runner.ts';
import type { Workload } from '../../bench/workloads.ts';
import { parseFields } from '../../bench/xsload.ts';

function workload(id: string, big: boolean, targets: Workload['targets']): Workload {
	return { id, family: id, title: id, big, targets, run: () => Promise.resolve({}) };
}

describe('rotate', () => {
	it('moves the first `by` items to the end', () => {
		assert.deepEqual(rotate(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
		assert.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
		assert.deepEqual(rotate(['a', 'b', 'c'], 4), ['b', 'c', 'a']);
		assert.deepEqual(rotate([], 2), []);
	});
});

describe('plan', () => {
	const read = workload('read', false, ['c', 'ocaml', 'ts', 'floor']);
	const fanout = workload('watch', false, ['c', 'ocaml', 'ts']);
	const populate = workload('populate', true, ['c', 'ocaml', 'ts']);

	it('runs every daemon on a workload before the next workload, rotating the order each round', () => {
		const steps = plan([read], ['c', 'ts', 'floor'], 3, 1).map((s) => `${s.round}:${s.target}`);
		assert.deepEqual(steps, ['1:c', '1:ts', '1:floor', '2:ts', '2:floor', '2:c', '3:floor', '3:c', '3:ts']);
	});
	it('leaves out daemons a workload does not apply to', () => {
		const steps = plan([fanout], ['c', 'floor'], 1, 1);
		assert.deepEqual(
			steps.map((s) => s.target),
			['c'],
		);
	});
	it('runs big workloads after all ordinary rounds, for their own number of rounds, ', () => {
		const steps = plan([populate, read], ['c'], 2, 1).map((s) => `${s.workload.id}${s.round}/${s.rounds}`);
		assert.deepEqual(steps, ['read1/2', 'read2/2', 'populate1/1']);
	});
});

describe('parseFields', () => {
	it("reads xsload's `word key=value ...` lines", () => {
		assert.deepEqual(parseFields('result op=read procs=8 ops_per_s=40738.9'), {
			op: 'read',
			procs: '8',
			ops_per_s: '40738.9',
		});
		assert.deepEqual(parseFields('phase done'), {});
	});
});
