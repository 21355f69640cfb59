import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';
import { describe, renderMarkdown } from '../../bench/report.ts';
import type { BenchResults, CellResult } from '../../bench/runner.ts';
import { FULL_SIZES, type Metrics } from '../../bench/workloads.ts';

/** One round, its figures as the median: what the runner records for a single big round. */
function once(median: Metrics): CellResult {
	return { rounds: [median], median, spread: {}, errors: [] };
}

const timing = (secs: number, nodes: number, complete: boolean): Metrics => ({
	count: 200_000,
	nodes,
	secs,
	complete: complete ? 1 : 0,
	secsForFirstPart: 1,
	estimatedSecsForCount: complete ? secs : 300,
	insertsPerSec: nodes / secs,
	cpuSecsPerNode: 60e-6,
});

const memory = { primingRssBytes: 8e6, rssPerNodeBytes: 90, rssAfterBytes: 80e6, anonPerNodeAtRestBytes: 80 };

/** Populating 200,000 children: C stopped at the cap, tsxenstored in 20 s, the floor in 25 s. */
function results(): BenchResults {
	return {
		date: '2026-11-27',
		durationSecs: 100,
		partial: true,
		command: 'npm run bench -- --only populate-flat',
		machine: {
			cpuModel: 'test',
			cores: 2,
			memoryBytes: 4e9,
			kernel: 'test',
			node: 'test',
			xenUtils: 'test',
			libxenstore: 'test',
			commit: 'test',
			loadAverageAtStart: 0,
		},
		rounds: 1,
		bigRounds: 1,
		sizes: FULL_SIZES,
		targets: ['c', 'ts', 'floor'],
		workloads: [
			{
				id: 'populate-flat',
				title: 'populate children of one node, one client',
				results: {
					c: once({ ...timing(60, 50_000, false), ...memory }),
					ts: once({ ...timing(20, 200_000, true), ...memory }),
					floor: once(timing(25, 200_000, true)),
				},
			},
		],
	};
}

function lineStarting(markdown: string, start: string): string[] {
	return markdown.split('\n').filter((l) => l.startsWith(start));
}

suite('the report of populating with the floor', () => {
	test('the targets table sets the time beside the floor, 20 s over 25 s', () => {
		const rows = lineStarting(renderMarkdown(results()), '| time to write 200,000 children of one node |');
		assert.equal(rows.length, 2);
		assert.match(rows[0]!, /C xenstored 4\.17: > 60\.0 s \(stopped at 50,000\) \| < 0\.33× \|/);
		assert.match(rows[1]!, /floor \(no-op Node\.js\): 25\.0 s \| 0\.80× \|/);
	});

	test('the floor keeps no node: its memory per node is not applicable, its time is shown', () => {
		const md = renderMarkdown(results());
		const [memoryRow] = lineStarting(md, '| resident memory per node at once');
		assert.match(memoryRow!, /\| n\/a \|$/);
		const [timeRow] = lineStarting(md, '| time to write all 200,000 |');
		assert.match(timeRow!, /\| 25\.0 s \(< 0\.42×\) \|$/);
	});

	test('its progress line names no memory per node', () => {
		assert.equal(describe(timing(25, 200_000, true)), '200,000 nodes in 25.0 s');
		assert.match(describe({ ...timing(20, 200_000, true), ...memory }), /, 90 B\/node$/);
	});
});
