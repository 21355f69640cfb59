/**
 * The daemons the benchmark compares, each started fresh for every measurement in a directory of
 * its own that is removed afterwards: Debian's C xenstored and oxenstored 4.17, tsxenstored from
 * dist/, and the no-op Node.js server (the floor).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	type Daemon,
	startCXenstored,
	startOxenstored,
	startTsxenstored,
	TSXENSTORED,
	tempDir,
	waitForSocket,
} from '../test/harness/daemons.ts';

export const TARGETS = ['c', 'ocaml', 'ts', 'floor'] as const;
export type TargetName = (typeof TARGETS)[number];

export const TARGET_LABELS: Record<TargetName, string> = {
	c: 'C xenstored 4.17',
	ocaml: 'oxenstored 4.17',
	ts: 'tsxenstored',
	floor: 'floor (no-op Node.js)',
};

export interface RunningTarget {
	readonly name: TargetName;
	readonly pid: number;
	readonly socket: string;
	/** How the daemon ended, with the end of its output, if it is no longer running. */
	exitStatus(): string | undefined;
	stop(): Promise<void>;
}

function ended(child: ChildProcess, output: string): string | undefined {
	if (child.exitCode === null && child.signalCode === null) return undefined;
	const how = child.signalCode ? `killed by ${child.signalCode}` : `exited with status ${child.exitCode}`;
	return `the daemon ${how}; its last output: ${output.trim().split('\n').slice(-10).join('\n') || '(none)'}`;
}

const noopServer = join(dirname(fileURLToPath(import.meta.url)), 'noop-server.ts');

/** Throws when a target cannot be started at all on this checkout, before any time is spent. */
export function checkTargetAvailable(name: TargetName): void {
	if (name === 'ts' && !existsSync(TSXENSTORED)) {
		throw new Error(
			`${TSXENSTORED} does not exist: build the daemon first (npm run build), ` +
				'or leave tsxenstored out with --daemons c,ocaml,floor',
		);
	}
}

function wrap(name: TargetName, daemon: Daemon): RunningTarget {
	const pid = daemon.process.pid;
	if (pid === undefined) throw new Error(`${TARGET_LABELS[name]} has no process id`);
	return {
		name,
		pid,
		socket: daemon.socket,
		exitStatus: () => ended(daemon.process, daemon.output()),
		async stop() {
			await daemon.stop();
			rmSync(daemon.dir, { recursive: true, force: true });
		},
	};
}

async function startFloor(): Promise<RunningTarget> {
	const dir = tempDir('xsfloor-');
	const socket = join(dir, 'socket');
	// In a session of its own, as every daemon here is (StartOptions.ownSession says why).
	const child = spawn(process.execPath, [noopServer, socket], {
		stdio: ['ignore', 'ignore', 'pipe'],
		detached: true,
	});
	let output = '';
	child.stderr.on('data', (d: Buffer) => {
		output += d.toString();
	});
	await waitForSocket(socket, child);
	const exited = new Promise<void>((res) => child.once('exit', () => res()));
	return {
		name: 'floor',
		pid: child.pid!,
		socket,
		exitStatus: () => ended(child, output),
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				await exited;
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export async function startTarget(name: TargetName): Promise<RunningTarget> {
	switch (name) {
		case 'c':
			return wrap(name, await startCXenstored());
		case 'ocaml':
			// Its default access log writes a line per write to a file, which C xenstored and
			// tsxenstored do not do: measure oxenstored without it, at its best.
			return wrap(name, await startOxenstored({ args: ['--no-access-log'] }));
		case 'ts': {
			// A pid file lets the harness stop the successor of a live update too.
			const dir = tempDir('tsxs-');
			return wrap(name, await startTsxenstored({ dir, args: ['-F', join(dir, 'pid')], ownSession: true }));
		}
		case 'floor':
			return startFloor();
	}
}
