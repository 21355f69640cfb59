/**
 * `npm run bench`: tsxenstored side by side with Debian's C xenstored and oxenstored 4.17 and the
 * no-op Node.js floor, driven by one load generator; writes BENCHMARKS.md and bench/results.json.
 * docs/benchmarks.md says what every figure means.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../test/harness/daemons.ts';
import { list, positiveInt } from './args.ts';
import { describeMachine } from './machine.ts';
import { checkPrerequisites } from './prereqs.ts';
import { describe, renderMarkdown } from './report.ts';
import { abort, type BenchResults, plan, runAll } from './runner.ts';
import { checkTargetAvailable, TARGETS, type TargetName } from './targets.ts';
import { FULL_SIZES, QUICK_SIZES, WORKLOADS } from './workloads.ts';
import { buildXsload, cacheDir } from './xsload.ts';

const usage = `usage: npm run bench -- [options]

  --only LIST       workloads or families to run, comma-separated (default: all):
                    ${WORKLOADS.map((w) => w.id).join(', ')}
                    families: ${[...new Set(WORKLOADS.map((w) => w.family))].join(', ')}
  --daemons LIST    among ${TARGETS.join(', ')} (default: all)
  --rounds N        rounds of the ordinary workloads (default 3)
  --big-rounds N    rounds of the populating workloads, minutes each (default 1)
  --quick           short runs and small sizes, to iterate (figures not comparable to a full run)
  --out DIR         write BENCHMARKS.md and results.json there; default: the project
                    (BENCHMARKS.md, bench/results.json) for a full run,
                    ${relative(projectRoot, cacheDir)} for a partial one
                    (--only, --daemons or --quick): only a full run replaces the committed report
  --report-only     measure nothing: write BENCHMARKS.md again from the results.json of the
                    last full run (or of --out DIR), after a change to the report's layout
  --help`;

/** BENCHMARKS.md and results.json in `outDir`, or in the project's places without one. */
function reportFiles(outDir: string | undefined): { markdown: string; json: string } {
	return {
		markdown: join(outDir ?? projectRoot, 'BENCHMARKS.md'),
		json: join(outDir ?? join(projectRoot, 'bench'), 'results.json'),
	};
}

function writeReport(results: BenchResults, outDir: string | undefined, withJson: boolean): void {
	const files = reportFiles(outDir);
	if (outDir) mkdirSync(outDir, { recursive: true });
	writeFileSync(files.markdown, renderMarkdown(results));
	if (withJson) writeFileSync(files.json, `${JSON.stringify(results, null, '\t')}\n`);
	const written = withJson ? [files.markdown, files.json] : [files.markdown];
	if (!outDir) {
		// in the project's own layout, so that the lint of a checkout holding the fresh report passes
		execFileSync(join(projectRoot, 'node_modules', '.bin', 'biome'), ['format', '--write', ...written], {
			stdio: 'ignore',
		});
	}
	console.log(`Wrote ${written.join(' and ')}.`);
}

async function main(): Promise<number> {
	const { values } = parseArgs({
		options: {
			only: { type: 'string' },
			daemons: { type: 'string' },
			rounds: { type: 'string', default: '3' },
			'big-rounds': { type: 'string', default: '1' },
			quick: { type: 'boolean', default: false },
			out: { type: 'string' },
			'report-only': { type: 'boolean', default: false },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log(usage);
		return 0;
	}
	if (values['report-only']) {
		const results = JSON.parse(readFileSync(reportFiles(values.out).json, 'utf8')) as BenchResults;
		writeReport(results, values.out, false);
		return 0;
	}
	const only = values.only ? list(values.only) : undefined;
	const unknown = only?.filter((o) => !WORKLOADS.some((w) => w.id === o || w.family === o));
	if (unknown?.length) throw new Error(`--only: no workload or family ${unknown.join(', ')}\n${usage}`);
	const workloads = WORKLOADS.filter((w) => !only || only.includes(w.id) || only.includes(w.family));
	const targets = values.daemons ? list(values.daemons) : [...TARGETS];
	const badTarget = targets.find((t) => !(TARGETS as readonly string[]).includes(t));
	if (badTarget) throw new Error(`--daemons: no daemon ${badTarget}; choose among ${TARGETS.join(', ')}`);
	const chosen = TARGETS.filter((t) => targets.includes(t)) as TargetName[];
	const rounds = positiveInt('rounds', values.rounds);
	const bigRounds = positiveInt('big-rounds', values['big-rounds']);
	const sizes = values.quick ? QUICK_SIZES : FULL_SIZES;
	const partial = Boolean(only || values.daemons || values.quick);

	checkPrerequisites(chosen.includes('c') || chosen.includes('ocaml'));
	for (const t of chosen) checkTargetAvailable(t);
	const xsload = buildXsload();
	const machine = describeMachine();
	const steps = plan(workloads, chosen, rounds, bigRounds).length;
	console.log(`${steps} measurements; each on a freshly started daemon.`);

	const run = await runAll({
		workloads,
		targets: chosen,
		rounds,
		bigRounds,
		sizes,
		xsload,
		log: console.log,
		describe,
	});
	const results: BenchResults = {
		date: new Date().toISOString(),
		partial,
		command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
			' ',
		),
		machine,
		rounds,
		bigRounds,
		sizes,
		targets: chosen,
		...run,
	};
	writeReport(results, values.out ?? (partial ? cacheDir : undefined), true);

	const failed = run.workloads.some((w) => Object.values(w.results).some((r) => r.errors.length > 0));
	const lost = run.workloads.some((w) =>
		Object.values(w.results).some((r) => r.rounds.some((m) => m.lostUpdates)),
	);
	if (lost) console.error('A daemon LOST UPDATES under contention: see the contention table.');
	if (failed) console.error('Some measurements failed: see the Failures section.');
	return failed || lost ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		console.error(`\n${signal}: stopping the daemon under test.`);
		void abort().finally(() => process.exit(130));
	});
}

main().then(
	(code) => {
		process.exitCode = code;
	},
	(e: Error) => {
		console.error(e.message);
		process.exitCode = 1;
	},
);
