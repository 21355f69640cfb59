/**
 * The differential suite's engine: each case runs on Debian's C xenstored 4.17 and on tsxenstored,
 * started once per test file, each case in its own subtree and on its own connections; the
 * transcripts must be equal step by step. A case that meets a deliberate difference states what
 * tsxenstored must answer at the steps concerned, and 4.17 must really answer something else there.
 *
 * XS_CONFORMANCE_SUBJECT=c runs the cases against a second C xenstored instead of tsxenstored: a
 * check that every case is deterministic (differences are then not applied).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { messageTypeName } from '../../src/protocol/message-type.ts';
import { type Daemon, startCXenstored, startTsxenstored } from '../harness/daemons.ts';
import { DIFFERENCES, type DifferenceId } from './differences.ts';
import { CaseRun, escapeBytes, resolvePayload, type Step, type StepRecord } from './transcript.ts';

export type Expect = string | RegExp;

export interface Case {
	name: string;
	/** Connections the case uses; 1 by default. */
	conns?: number;
	steps: Step[];
	/**
	 * A deliberate difference: tsxenstored's expected lines at the given step indexes (a function
	 * gets the case's subtree, for lines that name paths in it).
	 */
	differs?: { id: DifferenceId; ts: Record<number, Expect[] | ((base: string) => Expect[])> };
}

const subject = process.env.XS_CONFORMANCE_SUBJECT ?? 'ts';

function startSubject(): Promise<Daemon> {
	return subject === 'c' ? startCXenstored() : startTsxenstored();
}

async function stopDaemon(d: Daemon | undefined): Promise<void> {
	if (!d) return;
	await d.stop();
	rmSync(d.dir, { recursive: true, force: true });
}

export async function record(daemon: Daemon, c: Case, base: string): Promise<StepRecord[]> {
	const run = await CaseRun.open(daemon.socket, c.conns ?? 1, base);
	try {
		const out: StepRecord[] = [];
		for (const [i, step] of c.steps.entries()) out.push(await run.step(step, i));
		return out;
	} finally {
		run.close();
	}
}

function describeStep(step: Step, base: string): string {
	const c = `c${step.c ?? 0}`;
	if ('hangUp' in step) return `${c} hangs up`;
	if ('raw' in step) return `${c} raw ${escapeBytes(resolvePayload(step.raw, base))}`;
	const type = messageTypeName(step.type) ?? `type${step.type}`;
	return `${c} ${type} tx=${step.tx ?? 0} ${escapeBytes(resolvePayload(step.payload, base))}`;
}

function matches(lines: string[], expected: Expect[]): boolean {
	return (
		lines.length === expected.length &&
		lines.every((l, i) => {
			const e = expected[i]!;
			return typeof e === 'string' ? l === e : e.test(l);
		})
	);
}

const show = (lines: readonly (string | RegExp)[]) =>
	lines.length ? lines.map((l) => `      ${l}`).join('\n') : '      (nothing)';

/** Compare two transcripts of case `c`; returns the description of every mismatch, empty if none. */
export function compare(
	c: Case,
	base: string,
	ref: StepRecord[],
	ours: StepRecord[],
	applyDifferences: boolean,
): string[] {
	const problems: string[] = [];
	const diff = applyDifferences ? c.differs : undefined;
	let differenceSeen = false;
	c.steps.forEach((step, i) => {
		const spec = diff?.ts[i];
		const expected = typeof spec === 'function' ? spec(base) : spec;
		const r = ref[i] ?? [];
		const o = ours[i] ?? [];
		if (expected) {
			if (!matches(r, expected)) differenceSeen = true;
			if (!matches(o, expected)) {
				problems.push(
					`step ${i}: ${describeStep(step, base)}\n    expected (deliberate difference ${diff!.id}):\n${show(expected)}\n    C 4.17:\n${show(r)}\n    tsxenstored:\n${show(o)}`,
				);
			}
		} else if (!matches(o, r)) {
			problems.push(
				`step ${i}: ${describeStep(step, base)}\n    C 4.17:\n${show(r)}\n    tsxenstored:\n${show(o)}`,
			);
		}
	});
	if (diff && !differenceSeen) {
		problems.push(`declared difference ${diff.id} not seen: C 4.17 answered as expected of tsxenstored`);
	}
	return problems;
}

/** Register a test per case; both daemons start once for the whole table. */
export function defineDifferentialSuite(title: string, cases: readonly Case[]): void {
	describe(title, () => {
		let ref: Daemon | undefined;
		let ours: Daemon | undefined;
		before(async () => {
			[ref, ours] = await Promise.all([startCXenstored(), startSubject()]);
		});
		after(async () => {
			await Promise.all([stopDaemon(ref), stopDaemon(ours)]);
		});
		cases.forEach((c, index) => {
			it(c.name, async () => {
				if (c.differs) assert.ok(DIFFERENCES[c.differs.id], `unknown difference ${c.differs.id}`);
				const base = `/t${index}`;
				const [r, o] = await Promise.all([record(ref!, c, base), record(ours!, c, base)]);
				const problems = compare(c, base, r, o, subject === 'ts');
				// A daemon that died takes the remaining cases with it: restart it, and say so.
				for (const which of ['ref', 'ours'] as const) {
					const d = which === 'ref' ? ref! : ours!;
					if (d.process.exitCode !== null || d.process.signalCode !== null) {
						problems.push(
							`${d.kind} daemon died (${d.process.exitCode ?? d.process.signalCode}):\n${d.output()}`,
						);
						const fresh = await (which === 'ref' ? startCXenstored() : startSubject());
						await stopDaemon(d);
						if (which === 'ref') ref = fresh;
						else ours = fresh;
					}
				}
				assert.ok(problems.length === 0, `${c.name}\n  ${problems.join('\n  ')}`);
			});
		});
	});
}
