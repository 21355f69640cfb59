import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type XenstoreClient } from '../../src/client/index.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { RawConnection } from '../conformance/raw-connection.ts';
import { XEN_BIN, xenshim } from '../harness/daemons.ts';

export const XENSTORE_CONTROL = join(XEN_BIN, 'xenstore-control');

/** Run `xenstore-control live-update [args] <binary>` against a daemon, as an operator would. */
export function liveUpdate(
	env: NodeJS.ProcessEnv,
	binary: string,
	...args: string[]
): Promise<{ code: number; output: string }> {
	return new Promise((resolve) => {
		execFile(
			XENSTORE_CONTROL,
			['live-update', ...args, binary],
			{ env, timeout: 120_000 },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
				resolve({ code, output: `${stdout}${stderr}` });
			},
		);
	});
}

/** `xenstore-ls -p /`: the whole store as Debian's tool shows it (values, perms, order). */
export function listing(env: NodeJS.ProcessEnv): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile('xenstore-ls', ['-p', '/'], { env }, (error, stdout) =>
			error ? reject(error) : resolve(stdout),
		);
	});
}

/** A `xenstore-watch` process on `path`, collecting the paths it reports. */
export interface WatchProcess {
	readonly process: ChildProcess;
	events(): string[];
	waitFor(path: string, ms?: number): Promise<void>;
}

export function watchProcess(env: NodeJS.ProcessEnv, path: string): WatchProcess {
	const child = spawn('xenstore-watch', [path], { env, stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	child.stdout?.on('data', (d: Buffer) => {
		out += d.toString();
	});
	const events = () => out.split('\n').filter((l) => l.length > 0);
	return {
		process: child,
		events,
		async waitFor(p, ms = 10_000) {
			const deadline = Date.now() + ms;
			while (!events().includes(p)) {
				if (Date.now() > deadline)
					throw new Error(`xenstore-watch never reported ${p}; saw ${events().join(', ')}`);
				await new Promise((r) => setTimeout(r, 20));
			}
		},
	};
}

/** A script that runs Debian's C xenstored with the xenshim stub, as a live-update target. */
export function cXenstoredWrapper(dir: string): string {
	return writeExecutable(
		join(dir, 'c-xenstored'),
		`#!/bin/sh\nLD_PRELOAD=${xenshim()} exec ${join(XEN_BIN, 'xenstored')} "$@"\n`,
	);
}

/** Write a program (a script with its `#!` line) for the daemon to start; returns its path. */
export function writeExecutable(path: string, text: string): string {
	writeFileSync(path, text);
	chmodSync(path, 0o755);
	return path;
}

export async function client(socket: string): Promise<XenstoreClient> {
	return connect({ path: socket });
}

/** Wait until `check` holds, polling. */
export async function eventually(
	check: () => boolean | Promise<boolean>,
	what: string,
	ms = 10_000,
): Promise<void> {
	const deadline = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/**
 * While `during` runs, new clients keep connecting to `socket`, each sending one READ of `path` at
 * once: what each was answered ('no answer' after 10 s), once all are done.
 */
export async function arrivalsDuring(
	socket: string,
	path: string,
	during: () => Promise<void>,
): Promise<string[]> {
	const answers: Array<Promise<string>> = [];
	let running = true;
	const arrivals = (async () => {
		while (running) {
			const arrival = await RawConnection.open(socket);
			arrival.write(encodeFrame(MessageType.READ, 1, 0, `${path}\0`));
			answers.push(
				arrival
					.waitFor((f) => f.length === 1, 10_000)
					.then((answered) => {
						const value = answered ? arrival.frames[0]!.payload.toString() : 'no answer';
						arrival.close();
						return value;
					}),
			);
			await new Promise((r) => setTimeout(r, 1));
		}
	})();
	try {
		await during();
	} finally {
		running = false;
		await arrivals;
	}
	return Promise.all(answers);
}
