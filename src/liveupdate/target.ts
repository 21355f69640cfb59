import { execFile } from 'node:child_process';

/**
 * The line tsxenstored's `--help` carries so that a daemon handing over to it knows it reads
 * version 2 streams with this project's extensions. Any other binary is "foreign".
 */
export const SUCCESSOR_MARKER = 'tsxenstored live update: migration stream version 2';

export type TargetKind = 'tsxenstored' | 'foreign';

/** Node.js entry points are run with this process's Node, not whatever `node` is on PATH. */
export function isScript(binary: string): boolean {
	return /\.(c|m)?js$/.test(binary);
}

/**
 * Ask the new binary what it is, the way oxenstored does before it execs anything: run it once
 * with `--help`. A binary that does not exit 0 within the time allowed cannot take over, and the
 * update stops here, before anything was disturbed. C xenstored and oxenstored both answer
 * `--help` with their usage and exit 0.
 */
export function probeTarget(binary: string, timeoutMs = 10_000): Promise<TargetKind> {
	const [file, args] = isScript(binary) ? [process.execPath, [binary, '--help']] : [binary, ['--help']];
	return new Promise((resolve, reject) => {
		execFile(file, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
			if (error) {
				reject(new Error(`${binary} --help failed: ${error.message.trim()}`));
				return;
			}
			resolve(`${stdout}${stderr}`.includes(SUCCESSOR_MARKER) ? 'tsxenstored' : 'foreign');
		});
	});
}

/**
 * The successor's arguments, as C xenstored builds them: the command line given with `-c`, split
 * on blanks, or else this process's own arguments; `-U` is added unless already there.
 */
export function successorArgs(original: readonly string[], cmdline: string | undefined): string[] {
	const args = cmdline === undefined ? [...original] : cmdline.split(/[ \t]+/).filter((a) => a.length > 0);
	if (!args.includes('-U') && !args.includes('--live-update')) args.push('-U');
	return args;
}
