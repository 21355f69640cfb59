import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HANDOVER_ENV, INHERITED_ENV, INHERITED_FD_BASE } from './ipc.ts';

/**
 * A shell, started while this process is small, that waits to become a tsxenstored successor.
 *
 * Node starts a child with fork() then exec(), and its event loop stops until the exec is done: the
 * fork copies this process's page tables, so the larger the store the longer. Measured here, it
 * stopped the loop for 9-15 ms with 100-300 MB resident, which clients felt as part of a live
 * update's downtime. The shell is forked once, early, when that costs little and nobody waits. At
 * the update it reads the binary and its arguments from its standard input and execs them in its
 * own place: the successor keeps the shell's process, its channel to this process (descriptor 3),
 * its environment and session.
 *
 * The shell first closes every descriptor above 3. A process restored from C xenstored holds its
 * clients' sockets at the numbers C xenstored left them, without close-on-exec: a shell or
 * successor that kept them would keep those sockets open after this process closed them. bash, not
 * sh: dash's redirections name descriptors 0-9 only.
 *
 * The shell reads no startup file. bash reads ~/.bashrc when its standard input is a socket (Node's
 * pipes are) and SHLVL is low, taking itself for a remote shell, and $BASH_ENV whenever it is not
 * interactive: a daemon running as root must not run its administrator's shell set-up. One that
 * did (pyenv's, starting a rehash in the background) cost the benchmark a quarter of the daemon's
 * throughput while it ran. `--norc` and `--noprofile` stop the first, `-p` stops $BASH_ENV and
 * functions exported in the environment.
 */
const SCRIPT = [
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
	'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 3 ] && eval "exec $n>&-"; done',
	'IFS= read -r count || exit 0',
	'IFS= read -r binary || exit 0',
	'set --',
	'while [ $# -lt "$count" ]; do IFS= read -r arg || exit 0; set -- "$@" "$arg"; done',
	'exec "$binary" "$@" </dev/null',
].join('\n');

/**
 * Starts a successor with sockets passed at spawn, at descriptors 4 to `$1`: closes every
 * descriptor above those (see above), then execs `$2...`.
 */
const PASSING_SCRIPT = [
	'last=$1',
	'shift',
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
	'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt "$last" ] && eval "exec $n>&-"; done',
	'exec "$@" </dev/null',
].join('\n');

const SHELL = '/bin/bash';

export class Standby {
	private child: ChildProcess | undefined;
	private readonly env: NodeJS.ProcessEnv;
	/** Whether this process keeps a shell waiting (the daemon does; tests' in-process daemons not). */
	private wanted = false;

	/** `rootDir` is the successor's $XENSTORED_ROOTDIR, where it finds the state file. */
	constructor(rootDir: string) {
		this.env = { ...process.env, XENSTORED_ROOTDIR: rootDir, [HANDOVER_ENV]: 'ipc' };
	}

	/** Fork the shell now, unless one waits already, and keep one from now on. */
	start(): void {
		this.wanted = true;
		if (!this.waiting()) this.fork();
	}

	private waiting(): boolean {
		const child = this.child;
		return (
			child !== undefined && child.pid !== undefined && child.exitCode === null && child.signalCode === null
		);
	}

	private fork(): void {
		const child = spawn(SHELL, ['--norc', '--noprofile', '-p', '-c', SCRIPT, 'tsxenstored-standby'], {
			stdio: ['pipe', 'inherit', 'inherit', 'ipc'],
			detached: true,
			env: this.env,
		});
		// Waiting must not keep this process alive; when it ends, the shell reads the end of its
		// input and exits.
		child.unref();
		child.channel?.unref();
		(child.stdin as unknown as { unref(): void } | null)?.unref();
		// A shell that could not start, or went away before it was needed: launch finds it gone.
		child.on('error', () => {});
		child.stdin?.on('error', () => {});
		this.child = child;
	}

	/** Fork another shell after an update that used the last one failed, if one is kept. */
	restock(): void {
		if (this.wanted) this.start();
	}

	/**
	 * Start the successor, `binary args...`: in the waiting shell, or one forked now if none waits;
	 * directly if the shell cannot take it (no bash, or a line break in the command).
	 */
	launch(binary: string, args: readonly string[]): ChildProcess {
		return (
			this.inShell(binary, args) ??
			spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, env: this.env })
		);
	}

	/**
	 * Start the successor, `binary args...`, now, with `fds` passed at descriptors
	 * INHERITED_FD_BASE, +1, ... (ipc.ts): a fork of this process, not of the waiting shell, which
	 * has none of them. Through bash when there is one, for the reason the waiting shell closes
	 * descriptors.
	 */
	launchPassing(binary: string, args: readonly string[], fds: readonly number[], spec: string): ChildProcess {
		const env = { ...this.env, [INHERITED_ENV]: spec };
		const stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc', ...fds];
		if (!existsSync(SHELL)) return spawn(binary, args, { stdio, detached: true, env });
		const last = String(INHERITED_FD_BASE + fds.length - 1);
		const argv = ['--norc', '--noprofile', '-p', '-c', PASSING_SCRIPT, 'tsxenstored-successor', last];
		return spawn(SHELL, [...argv, binary, ...args], { stdio, detached: true, env });
	}

	private inShell(binary: string, args: readonly string[]): ChildProcess | undefined {
		if ([binary, ...args].some((a) => a.includes('\n'))) return undefined;
		if (!this.waiting()) this.fork();
		const child = this.child!;
		this.child = undefined;
		if (child.pid === undefined || child.stdin === null) return undefined;
		child.ref();
		child.channel?.ref();
		child.stdin.end(`${args.length}\n${binary}\n${args.map((a) => `${a}\n`).join('')}`);
		return child;
	}
}
