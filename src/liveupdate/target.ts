import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

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

/** How much of a new binary's start is searched for the marker (the entry script's header). */
const DECLARATION_BYTES = 4096;

/**
 * Whether the new binary declares itself a tsxenstored successor in its first few kilobytes: the
 * entry script carries the marker in a comment (src/cli/tsxenstored.ts), so a tsxenstored is known
 * without starting a Node.js process only to print its usage (about 0.1 s, and a stall of this
 * process's event loop while it forks). Unreadable files are left to the probe.
 */
export function declaresSuccessor(binary: string): boolean {
	let fd: number;
	try {
		fd = openSync(binary, 'r');
	} catch {
		return false;
	}
	try {
		const head = Buffer.alloc(DECLARATION_BYTES);
		const length = readSync(fd, head, 0, DECLARATION_BYTES, 0);
		return head.subarray(0, length).includes(SUCCESSOR_MARKER);
	} catch {
		return false;
	} finally {
		closeSync(fd);
	}
}

/**
 * What the new binary is: a tsxenstored that declares itself one, or whatever `--help` says.
 * A declared successor that cannot start is found out when it is started: the update stops then,
 * before requests are held, as it would have here.
 */
export function identifyTarget(binary: string): Promise<TargetKind> {
	return declaresSuccessor(binary) ? Promise.resolve('tsxenstored') : probeTarget(binary);
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
