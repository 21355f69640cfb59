/** Build bench/xsload.c against Debian's libxenstore, and run it against one daemon. */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../test/harness/daemons.ts';
import type { Checkpoint } from './stats.ts';

const source = join(dirname(fileURLToPath(import.meta.url)), 'xsload.c');

/** Where built tools are kept between runs (not committed: node_modules is ignored). */
export const cacheDir = join(projectRoot, 'node_modules', '.cache', 'tsxenstored-bench');

/** Compile xsload once per version of its source; returns the binary's path. */
export function buildXsload(): string {
	const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
	const binary = join(cacheDir, `xsload-${hash}`);
	if (!existsSync(binary)) {
		mkdirSync(cacheDir, { recursive: true });
		const tmp = `${binary}.${process.pid}`;
		execFileSync('gcc', ['-O2', '-Wall', '-o', tmp, source, '-lxenstore'], { stdio: 'inherit' });
		renameSync(tmp, binary);
	}
	return binary;
}

/** `word key=value key=value` -> { key: value }. */
export function parseFields(line: string): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const item of line.trim().split(/\s+/).slice(1)) {
		const eq = item.indexOf('=');
		if (eq > 0) fields[item.slice(0, eq)] = item.slice(eq + 1);
	}
	return fields;
}

export interface XsloadOutput {
	result: Record<string, string>;
	checkpoints: Checkpoint[];
	/** One `fanout` line's fields per watch repeat. */
	fanouts: Record<string, string>[];
}

export interface XsloadRun {
	binary: string;
	socket: string;
	args: string[];
	/** Called the moment xsload starts and ends its counted part (`phase measure` / `phase done`). */
	onMeasure?: () => void;
	onDone?: () => void;
	/**
	 * Aborting it sends xsload SIGTERM, which ends a run that goes on until told (`probe`); SIGKILL
	 * 5 s later if it has not ended.
	 */
	stop?: AbortSignal;
	timeoutMs: number;
}

export function runXsload(run: XsloadRun): Promise<XsloadOutput> {
	const child = spawn(run.binary, run.args, {
		env: { ...process.env, XENSTORED_PATH: run.socket },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const out: XsloadOutput = { result: {}, checkpoints: [], fanouts: [] };
	let stderr = '';
	let failure: Error | undefined;
	/** A sampling callback that throws (the daemon is gone) ends the run with its error. */
	const guarded = (callback?: () => void) => {
		try {
			callback?.();
		} catch (e) {
			failure ??= e as Error;
			child.kill('SIGKILL');
		}
	};
	run.stop?.addEventListener(
		'abort',
		() => {
			child.kill('SIGTERM');
			// Blocked in a read the daemon never answers, it would not see the signal's flag.
			setTimeout(() => child.kill('SIGKILL'), 5000).unref();
		},
		{ once: true },
	);
	child.stderr.on('data', (d: Buffer) => {
		stderr += d.toString();
	});
	createInterface({ input: child.stdout }).on('line', (line) => {
		if (line === 'phase measure') guarded(run.onMeasure);
		else if (line === 'phase done') guarded(run.onDone);
		else if (line.startsWith('checkpoint ')) {
			const f = parseFields(line);
			out.checkpoints.push({ n: Number(f.n), t: Number(f.t) });
		} else if (line.startsWith('fanout ')) out.fanouts.push(parseFields(line));
		else if (line.startsWith('result ')) out.result = parseFields(line);
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`xsload ${run.args.join(' ')}: no result after ${run.timeoutMs / 1000} s`));
		}, run.timeoutMs);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			if (failure) reject(failure);
			else if (code === 0 && out.result && Object.keys(out.result).length > 0) resolve(out);
			else
				reject(
					new Error(`xsload ${run.args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
				);
		});
	});
}
