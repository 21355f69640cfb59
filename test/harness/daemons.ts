/**
 * Start and stop xenstore daemons for tests and benchmarks: tsxenstored from this checkout, and
 * Debian's C xenstored and oxenstored (Xen 4.17) as references, socket-only on a machine without
 * Xen through the xenshim stub library. Every daemon gets its own directory and socket.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, '..', '..');
export const XEN_BIN = '/usr/lib/xen-4.17/bin';
export const TSXENSTORED = join(projectRoot, 'dist', 'cli', 'tsxenstored.js');

export type DaemonKind = 'ts' | 'c' | 'ocaml';

export interface Daemon {
	readonly kind: DaemonKind;
	readonly dir: string;
	readonly socket: string;
	readonly process: ChildProcess;
	/** Environment for a libxenstore client (xenstore-* tools, test-xenstore, pyxs) to reach it. */
	readonly clientEnv: NodeJS.ProcessEnv;
	/** Everything the daemon printed on stdout and stderr so far. */
	output(): string;
	stop(): Promise<void>;
}

export interface StartOptions {
	/** Directory for the socket and state; a fresh temporary one by default. */
	dir?: string;
	args?: string[];
	env?: NodeJS.ProcessEnv;
	/**
	 * Start tsxenstored in a session of its own, as the reference daemons always are here and as a
	 * host runs a daemon. The benchmark needs it: Linux's autogroup scheduling shares the CPU
	 * between sessions first, so a daemon left in the load generator's session competes with each of
	 * its clients as an equal and is preempted by them, while one in its own session gets its share
	 * of the machine (docs/benchmarks.md). Tests leave it in theirs, so that it ends with them.
	 */
	ownSession?: boolean;
}

/** A fresh directory under the system's temporary directory. */
export function tempDir(prefix = 'xs-'): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

/** Throws with the reason when Debian's reference daemons are not installed: never skip silently. */
export function requireReference(): void {
	if (!existsSync(join(XEN_BIN, 'xenstored'))) {
		throw new Error(`reference daemons missing: install Debian's xen-utils-4.17 (${XEN_BIN}/xenstored)`);
	}
}

let shim: string | undefined;

/** Build the xenshim stub library once per source version, in the temporary directory. */
export function xenshim(): string {
	if (shim) return shim;
	const src = join(here, 'xenshim.c');
	const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
	const out = join(tmpdir(), `tsxenstored-xenshim-${hash}.so`);
	if (!existsSync(out)) {
		const tmp = `${out}.${process.pid}`;
		execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', tmp, src, '-ldl']);
		execFileSync('mv', ['-f', tmp, out]);
	}
	shim = out;
	return out;
}

/** Resolve once something accepts connections on `socket`, or fail after `ms`. */
export async function waitForSocket(socket: string, child: ChildProcess, ms = 10_000): Promise<void> {
	const deadline = Date.now() + ms;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode} before listening`);
		if (existsSync(socket)) {
			const ok = await new Promise<boolean>((res) => {
				const s = connect(socket);
				s.once('connect', () => {
					s.destroy();
					res(true);
				});
				s.once('error', () => res(false));
			});
			if (ok) return;
		}
		if (Date.now() > deadline) throw new Error(`no daemon listening on ${socket} after ${ms} ms`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

function track(
	kind: DaemonKind,
	dir: string,
	socket: string,
	child: ChildProcess,
	cleanup?: () => void,
): Daemon {
	let out = '';
	child.stdout?.on('data', (d: Buffer) => {
		out += d.toString();
	});
	child.stderr?.on('data', (d: Buffer) => {
		out += d.toString();
	});
	const exited = new Promise<void>((res) => child.once('exit', () => res()));
	return {
		kind,
		dir,
		socket,
		process: child,
		clientEnv: { ...process.env, XENSTORED_PATH: socket },
		output: () => out,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
				await exited;
				clearTimeout(timer);
			}
			// After a live update another process may serve: the one the pid file names, if any.
			await stopProcess(readPidFile(join(dir, 'pid')));
			cleanup?.();
		},
	};
}

function readPidFile(path: string): number | undefined {
	try {
		const pid = Number(readFileSync(path, 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

/** Terminate a process that is not our child (a live-update successor), and wait for it to go. */
async function stopProcess(pid: number | undefined): Promise<void> {
	if (pid === undefined || !alive(pid)) return;
	process.kill(pid, 'SIGTERM');
	const deadline = Date.now() + 3000;
	while (alive(pid)) {
		if (Date.now() > deadline) {
			process.kill(pid, 'SIGKILL');
			break;
		}
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Start tsxenstored from dist/ (run `npm run build` first), in the foreground (-N). */
export async function startTsxenstored(options: StartOptions = {}): Promise<Daemon> {
	const dir = options.dir ?? tempDir('tsxs-');
	const socket = join(dir, 'socket');
	// Run as the program it is, so that its shebang's Node flags apply (Node from PATH: under npm,
	// the project's own).
	const child = spawn(TSXENSTORED, ['--no-fork', ...(options.args ?? [])], {
		env: { ...process.env, XENSTORED_RUNDIR: dir, XENSTORED_ROOTDIR: join(dir, 'root'), ...options.env },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: options.ownSession === true,
	});
	const daemon = track('ts', dir, socket, child);
	await waitForSocket(socket, child).catch((e: Error) => {
		throw new Error(`${e.message}\n${daemon.output()}`);
	});
	return daemon;
}

/**
 * Start Debian's C xenstored 4.17 socket-only. Its live-update state file is kept as
 * `<dir>/dump.<pid>` (xenshim's XS_KEEP_DUMP), so tests can read the stream it wrote.
 */
export async function startCXenstored(options: StartOptions = {}): Promise<Daemon> {
	requireReference();
	const dir = options.dir ?? tempDir('cxs-');
	mkdirSync(join(dir, 'root'), { recursive: true });
	const socket = join(dir, 'socket');
	const child = spawn(join(XEN_BIN, 'xenstored'), ['-N', ...(options.args ?? [])], {
		env: {
			...process.env,
			XENSTORED_RUNDIR: dir,
			XENSTORED_ROOTDIR: join(dir, 'root'),
			LD_PRELOAD: xenshim(),
			XS_KEEP_DUMP: join(dir, 'dump'),
			...options.env,
		},
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	const daemon = track('c', dir, socket, child);
	await waitForSocket(socket, child);
	return daemon;
}

/** oxenstored always listens on this path: only one may run on a machine at a time. */
export const OXENSTORED_SOCKET = '/var/run/xenstored/socket';

/** Start Debian's oxenstored 4.17 socket-only, with a configuration of its own in `dir`. */
export async function startOxenstored(options: StartOptions = {}): Promise<Daemon> {
	requireReference();
	const dir = options.dir ?? tempDir('oxs-');
	mkdirSync(dirname(OXENSTORED_SOCKET), { recursive: true });
	writeFileSync(join(dir, 'port'), '1');
	writeFileSync(join(dir, 'kva'), Buffer.alloc(4096));
	const conf = join(dir, 'ox.conf');
	writeFileSync(
		conf,
		[
			`pid-file = ${join(dir, 'ox.pid')}`,
			'persistent = false',
			`xenstored-log-file = ${join(dir, 'log')}`,
			`access-log-file = ${join(dir, 'access')}`,
			`xenstored-kva = ${join(dir, 'kva')}`,
			`xenstored-port = ${join(dir, 'port')}`,
			'',
		].join('\n'),
	);
	rmSync(OXENSTORED_SOCKET, { force: true });
	const child = spawn(
		join(XEN_BIN, 'oxenstored'),
		['--no-fork', '--config-file', conf, ...(options.args ?? [])],
		{
			env: { ...process.env, LD_PRELOAD: xenshim(), ...options.env },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		},
	);
	const daemon = track('ocaml', dir, OXENSTORED_SOCKET, child);
	await waitForSocket(OXENSTORED_SOCKET, child);
	return daemon;
}

export function startDaemon(kind: DaemonKind, options: StartOptions = {}): Promise<Daemon> {
	if (kind === 'ts') return startTsxenstored(options);
	if (kind === 'c') return startCXenstored(options);
	return startOxenstored(options);
}
