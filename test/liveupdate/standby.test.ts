import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-standby-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const standbyModule = pathToFileURL(join(import.meta.dirname, '../../src/liveupdate/standby.ts')).href;

/** Where each descriptor of a process leads. */
const DESCRIPTORS = `(pid) => Object.fromEntries(readdirSync('/proc/' + pid + '/fd').map((n) => {
	try { return [n, readlinkSync('/proc/' + pid + '/fd/' + n)]; } catch { return [n, '']; }
}))`;

describe('the standby shell a successor starts in', () => {
	it('becomes the successor: same process, the channel, its environment, and none of the descriptors its parent inherited', {
		timeout: 20_000,
	}, async () => {
		// A daemon that inherited a descriptor without close-on-exec (as from C xenstored), at 4.
		const marker = join(dir, 'inherited-by-the-daemon');
		writeFileSync(marker, '');
		const inherited = openSync(marker, 'r');
		// One line: the shell passes arguments a line each.
		const successor = `
			import { readdirSync, readlinkSync } from 'node:fs';
			process.send({ pid: process.pid, fds: (${DESCRIPTORS})('self'),
				handover: process.env.TSXENSTORED_HANDOVER, root: process.env.XENSTORED_ROOTDIR });
			process.disconnect();`.replace(/\s*\n\s*/g, ' ');
		const daemon = `
			import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
			import { Standby } from ${JSON.stringify(standbyModule)};
			const standby = new Standby(${JSON.stringify(dir)});
			standby.start();
			await new Promise((r) => setTimeout(r, 500));
			// This process's only child: the shell, waiting.
			const waiting = Number(readFileSync('/proc/self/task/' + process.pid + '/children', 'latin1'));
			const shell = { pid: waiting, fds: (${DESCRIPTORS})(waiting) };
			const child = standby.launch(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(successor)}]);
			child.once('message', (m) => { console.log(JSON.stringify({ shell, successor: m })); process.exit(0); });`;
		const run = spawn(process.execPath, ['--input-type=module', '-e', daemon], {
			stdio: ['ignore', 'pipe', 'inherit', 'ignore', inherited],
		});
		closeSync(inherited);
		let output = '';
		run.stdout!.on('data', (d: Buffer) => {
			output += d.toString();
		});
		const code = await new Promise((resolve) => run.once('exit', resolve));
		assert.equal(code, 0);
		const { shell, successor: seen } = JSON.parse(output) as {
			shell: { pid: number; fds: Record<string, string> };
			successor: { pid: number; fds: Record<string, string>; handover: string; root: string };
		};
		assert.deepEqual(
			Object.keys(shell.fds).sort(),
			['0', '1', '2', '3'],
			'the waiting shell holds stdio and the channel',
		);
		assert.equal(seen.pid, shell.pid, 'the successor runs in the shell forked first');
		assert.equal(seen.fds['0'], '/dev/null');
		assert.ok(!Object.values(seen.fds).includes(marker), 'nothing the daemon inherited lives on');
		assert.equal(seen.handover, 'ipc');
		assert.equal(seen.root, dir);
	});

	it('reads no startup file: not ~/.bashrc, not $BASH_ENV', { timeout: 20_000 }, async () => {
		// bash reads ~/.bashrc when its standard input is a socket (as Node's pipes are) and SHLVL is
		// low, "run by a remote shell daemon"; and $BASH_ENV whenever it is not interactive. A root
		// daemon must not run an administrator's shell set-up, and waiting must cost nothing.
		const home = join(dir, 'home');
		mkdirSync(home, { recursive: true });
		const ran = (name: string) => join(dir, `ran-${name}`);
		writeFileSync(join(home, '.bashrc'), `touch ${ran('bashrc')}\n`);
		writeFileSync(join(home, '.bash_profile'), `touch ${ran('profile')}\n`);
		writeFileSync(join(dir, 'bash-env'), `touch ${ran('bash-env')}\n`);
		const daemon = `
			import { readdirSync, readFileSync } from 'node:fs';
			import { Standby } from ${JSON.stringify(standbyModule)};
			new Standby(${JSON.stringify(dir)}).start();
			// Until the shell waits, holding only stdio and the channel: its script has run.
			const shellWaits = () => {
				const shell = readFileSync('/proc/self/task/' + process.pid + '/children', 'latin1').trim();
				return shell !== '' && readdirSync('/proc/' + shell + '/fd').length === 4;
			};
			const deadline = Date.now() + 10_000;
			while (!shellWaits() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
			// A startup file run in the background (as pyenv's is) gets a moment to show itself.
			await new Promise((r) => setTimeout(r, 200));
			process.exit(shellWaits() ? 0 : 3);`;
		const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, BASH_ENV: join(dir, 'bash-env') };
		delete env.SHLVL;
		const run = spawn(process.execPath, ['--input-type=module', '-e', daemon], { stdio: 'inherit', env });
		const code = await new Promise((resolve) => run.once('exit', resolve));
		assert.equal(code, 0, 'the shell came to wait');
		for (const name of ['bashrc', 'profile', 'bash-env']) {
			assert.ok(!existsSync(ran(name)), `the standby shell ran ${name}`);
		}
	});
});
