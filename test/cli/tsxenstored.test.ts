import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SUCCESSOR_MARKER } from '../../src/liveupdate/target.ts';
import { startTsxenstored, TSXENSTORED, tempDir, waitForSocket } from '../harness/daemons.ts';

function run(
	args: string[],
	env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string; err: string }> {
	return new Promise((resolve) => {
		execFile(process.execPath, [TSXENSTORED, ...args], { env, timeout: 30_000 }, (error, out, err) =>
			resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err }),
		);
	});
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describe('tsxenstored command line', () => {
	it('prints its usage with -H and exits 0, naming the live-update stream it reads', async () => {
		const r = await run(['-H']);
		assert.equal(r.code, 0);
		assert.match(r.out, /-N, --no-fork/);
		assert.match(r.out, new RegExp(SUCCESSOR_MARKER));
	});

	it('refuses an unknown option and stray arguments with status 2', async () => {
		assert.equal((await run(['--no-such-option'])).code, 2);
		assert.equal((await run(['-N', 'stray'])).code, 2);
	});

	it('goes to the background without -N: -P prints the daemon pid, -F names it, the socket is 0600', async () => {
		const dir = tempDir('cli-');
		const env = { ...process.env, XENSTORED_RUNDIR: dir, XENSTORED_ROOTDIR: join(dir, 'root') };
		const r = await run(['-P', '-F', join(dir, 'pid')], env);
		assert.equal(r.code, 0, r.err);
		const pid = Number(r.out.trim());
		try {
			assert.ok(pid > 0 && alive(pid), 'the printed pid is a running daemon');
			assert.equal(Number(readFileSync(join(dir, 'pid'), 'utf8')), pid);
			assert.equal(statSync(join(dir, 'socket')).mode & 0o777, 0o600);
			const read = execFileSync('xenstore-ls', ['/'], {
				env: { ...env, XENSTORED_PATH: join(dir, 'socket') },
			});
			assert.match(read.toString(), /tool/);
		} finally {
			process.kill(pid, 'SIGTERM');
		}
	});

	it('runs with one malloc arena and its V8 flags, as its first line says', async () => {
		const daemon = await startTsxenstored();
		try {
			const pid = daemon.process.pid!;
			const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
			assert.ok(environ.includes('MALLOC_ARENA_MAX=1'), 'MALLOC_ARENA_MAX=1 in its environment');
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
			const shebang = readFileSync(TSXENSTORED, 'latin1').split('\n')[0]!;
			const flags = shebang.split(' ').filter((word) => word.startsWith('--'));
			assert.ok(flags.includes('--max-semi-space-size=1'), shebang);
			for (const flag of flags) assert.ok(cmdline.includes(flag), `${flag} in ${cmdline.join(' ')}`);
		} finally {
			await daemon.stop();
		}
	});

	it('traces each request and reply with -T, one line each, like C xenstored', async () => {
		const dir = tempDir('cli-trace-');
		const trace = join(dir, 'trace');
		const daemon = await startTsxenstored({ dir, args: ['-T', trace, '-D', '-Ioff'] });
		try {
			execFileSync('xenstore-write', ['/traced', 'v'], { env: daemon.clientEnv });
			await new Promise((r) => setTimeout(r, 200));
			const lines = readFileSync(trace, 'utf8').split('\n');
			assert.ok(
				lines.some((l) => /^IN 0x[0-9a-f]+ \d{8} \d\d:\d\d:\d\d WRITE \(\/traced v\)$/.test(l)),
				lines.join('\n'),
			);
			assert.ok(lines.some((l) => /^OUT 0x[0-9a-f]+ \d{8} \d\d:\d\d:\d\d WRITE \(OK \)$/.test(l)));
			assert.match(daemon.output(), /-D \(no domain init\)/);
			assert.match(daemon.output(), /-I: the database is always in memory/);
		} finally {
			await daemon.stop();
		}
	});

	it('does not take the socket of a daemon that is serving it', async () => {
		const daemon = await startTsxenstored();
		try {
			const r = await run(['-N'], { ...process.env, XENSTORED_PATH: daemon.socket });
			assert.equal(r.code, 1);
			assert.match(r.err, /another daemon is serving/);
			await waitForSocket(daemon.socket, daemon.process, 1000);
		} finally {
			await daemon.stop();
		}
	});
});
