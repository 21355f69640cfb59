/**
 * The permission matrix through Debian's xenstore-* tools (libxenstore), run as each emulated
 * domain: what a guest's own tools see. The tools print the error only for ls and chmod
 * (strerror); for the others only success or failure is visible. Expected results come from
 * perms-table.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Emulation, type ToolResult } from './emulation.ts';
import { base, setUpMatrix } from './perms-setup.ts';
import {
	type Access,
	CALLERS,
	type CallerId,
	canRead,
	canWrite,
	isOwner,
	permsFor,
	ROWS,
	type Row,
} from './perms-table.ts';

const ERRNO_TEXT: Array<[string, string]> = [
	['Permission denied', 'EACCES'],
	['No such file or directory', 'ENOENT'],
	['Operation not permitted', 'EPERM'],
];

/** `ok` (with the output where it matters) or `fail` (with the error where the tool prints it). */
function outcome(r: ToolResult, output = false): string {
	if (r.code === 0) return output ? `ok ${r.stdout.trim()}` : 'ok';
	const known = ERRNO_TEXT.find(([text]) => r.stderr.includes(text));
	return known ? `fail ${known[1]}` : 'fail';
}

interface ToolStep {
	what: string;
	tool: string;
	args: string[];
	output?: boolean;
	want: (a: Access) => string;
}

/** The tool calls of the matrix on one row's node, in order (see EXPECT in perms-table.ts). */
function toolSteps(row: Row, caller: CallerId, n: string): ToolStep[] {
	const perms = permsFor(row, caller);
	const owner = perms[0]!;
	const newOwner = owner.slice(1) === '0' ? `${owner[0]}1` : `${owner[0]}0`;
	const r = (yes: string, no: string) => (a: Access) => (canRead(a) ? yes : no);
	const w = (yes: string, no: string) => (a: Access) => (canWrite(a) ? yes : no);
	const o = (yes: string, no: string) => (a: Access) => (isOwner(a) ? yes : no);
	return [
		{ what: 'read', tool: 'xenstore-read', args: [n], output: true, want: r('ok v', 'fail') },
		{ what: 'ls', tool: 'xenstore-ls', args: [n], want: r('ok', 'fail EACCES') },
		{
			what: 'ls missing',
			tool: 'xenstore-ls',
			args: [`${n}/missing`],
			want: r('fail ENOENT', 'fail EACCES'),
		},
		{ what: 'write new/deep', tool: 'xenstore-write', args: [`${n}/new/deep`, 'x'], want: w('ok', 'fail') },
		{
			what: 'chmod missing',
			tool: 'xenstore-chmod',
			args: [`${n}/missing`, `n${caller}`],
			want: w('fail ENOENT', 'fail EACCES'),
		},
		{ what: 'chmod same owner', tool: 'xenstore-chmod', args: [n, ...perms], want: o('ok', 'fail EACCES') },
		{
			what: 'chmod new owner',
			tool: 'xenstore-chmod',
			args: [n, newOwner, ...perms.slice(1)],
			want: o('fail EPERM', 'fail EACCES'),
		},
		{ what: 'rm existing', tool: 'xenstore-rm', args: [n], want: w('ok', 'fail') },
	];
}

/** Run `jobs` with at most `limit` at a time (each job is one row's sequence of tool calls). */
async function limited<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
	const results: T[] = new Array(jobs.length);
	let next = 0;
	const worker = async () => {
		while (next < jobs.length) {
			const i = next++;
			results[i] = await jobs[i]!();
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
	return results;
}

/**
 * Which rows each domain runs through the tools. A process per call is slow, so each row is run
 * by the domains that make its point (the raw-frame matrix runs every row as every domain).
 */
const TOOL_CASES: Record<CallerId, string[]> = {
	1: ['owner', 'owned-by-2', 'default-b', 'entry-n-over-default-b', 'entry-for-2-only', 'any-r'],
	2: [
		'owner-default-b',
		'owned-by-2',
		'owned-by-1-default-w',
		'default-n',
		'entry-r',
		'first-entry-wins',
		'entry-for-2-default-r',
		'any-b',
	],
	3: [
		'owned-by-2-entry-b1',
		'owned-by-1-default-w',
		'default-r',
		'entry-w',
		'entry-for-target',
		'target-owns',
		'own-entry-before-target',
		'entry-n1-before-any',
	],
	5: [
		'default-w',
		'entry-b',
		'any-owns',
		'entry-n1-before-any',
		'stale-entry',
		'stale-entry-default-r',
		'stale-entry-then-any',
		'entry-for-new-5',
	],
};

describe('permission matrix, Debian xenstore-* tools', () => {
	let emu: Emulation;

	before(async () => {
		emu = await Emulation.start();
		await setUpMatrix(emu, ['tools']);
	});
	after(() => emu?.stop());

	it('every row of the table is run through the tools by some domain', () => {
		const covered = new Set(Object.values(TOOL_CASES).flat());
		assert.deepEqual(
			ROWS.map((r) => r.name).filter((n) => !covered.has(n)),
			[],
		);
	});

	for (const caller of CALLERS) {
		it(`domain ${caller}: the tools succeed and fail as the rules say`, async () => {
			const rows = TOOL_CASES[caller].map((name) => ROWS.find((r) => r.name === name)!);
			const perRow = await limited(
				rows.map((row) => async () => {
					const got: string[] = [];
					const want: string[] = [];
					for (const step of toolSteps(row, caller, `${base('tools', caller, row)}/node`)) {
						const res = await emu.tool(caller, step.tool, step.args);
						got.push(`${row.name}: ${step.what} -> ${outcome(res, step.output)}`);
						want.push(`${row.name}: ${step.what} -> ${step.want(row.access[caller])}`);
					}
					return { got, want };
				}),
				4,
			);
			assert.deepEqual(
				perRow.flatMap((r) => r.got),
				perRow.flatMap((r) => r.want),
			);
		});
	}
});
