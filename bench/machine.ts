/** What the figures were measured on and with, for the report. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, type as osType, release, totalmem } from 'node:os';
import { projectRoot } from '../test/harness/daemons.ts';

export interface Machine {
	cpuModel: string;
	cores: number;
	memoryBytes: number;
	kernel: string;
	node: string;
	xenUtils: string;
	libxenstore: string;
	/** The checkout measured: commit, with `+changes` when the work tree differs from it. */
	commit: string;
	/** 1-minute load average when the run started: others' work on a shared machine shows here. */
	loadAverageAtStart: number;
}

function quiet(command: string, args: string[]): string {
	try {
		return execFileSync(command, args, { encoding: 'utf8', cwd: projectRoot, stdio: 'pipe' }).trim();
	} catch {
		return 'unknown';
	}
}

function debianVersion(pkg: string): string {
	// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
	return quiet('dpkg-query', ['-W', '-f=${Version}', pkg]);
}

export function describeMachine(): Machine {
	const commit = quiet('git', ['rev-parse', '--short', 'HEAD']);
	const dirty = quiet('git', ['status', '--porcelain', '--untracked-files=no']);
	return {
		cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
		cores: availableParallelism(),
		memoryBytes: totalmem(),
		kernel: `${osType()} ${release()}`,
		node: process.version,
		xenUtils: debianVersion('xen-utils-4.17'),
		libxenstore: debianVersion('libxenstore4'),
		commit: dirty && dirty !== 'unknown' ? `${commit}+changes` : commit,
		loadAverageAtStart: loadavg()[0] ?? 0,
	};
}
