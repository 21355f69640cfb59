/**
 * Real xenstore clients pointed at tsxenstored (XENSTORED_PATH): Debian's xenstore-* tools,
 * test-xenstore and python3-pyxs. Each is run against C xenstored 4.17 too, in the same test, and
 * the two outputs must agree: the reference daemon says what a correct answer looks like.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, startCXenstored, startTsxenstored, XEN_BIN } from '../harness/daemons.ts';

const TEST_XENSTORE = join(XEN_BIN, 'test-xenstore');
const PYTHON = '/usr/bin/python3';
const PYXS_SESSION = join(import.meta.dirname, 'fixtures', 'pyxs_session.py');

function requireTool(path: string, pkg: string): void {
	if (!existsSync(path)) throw new Error(`${path} missing: install Debian's ${pkg}`);
}

interface Outcome {
	status: number | null;
	stdout: string;
	stderr: string;
}

function run(d: Daemon, cmd: string, args: string[], timeout = 10_000): Outcome {
	const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { env: d.clientEnv, encoding: 'utf8', timeout });
	if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
	// Tools name their own binary in error messages; the daemon is what is compared.
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run `cmd` on both daemons; the outcomes must be equal. Returns tsxenstored's. */
function same(c: Daemon, ts: Daemon, cmd: string, ...args: string[]): Outcome {
	const ref = run(c, cmd, args);
	const ours = run(ts, cmd, args);
	assert.deepEqual(
		ours,
		ref,
		`${cmd} ${args.join(' ')}: tsxenstored (actual) differs from C xenstored (expected)`,
	);
	return ours;
}

describe('real clients against tsxenstored', () => {
	let c: Daemon;
	let ts: Daemon;
	before(async () => {
		requireTool('/usr/bin/xenstore-read', 'xenstore-utils');
		requireTool(TEST_XENSTORE, 'xen-utils-4.17');
		requireTool(PYTHON, 'python3');
		[c, ts] = await Promise.all([startCXenstored(), startTsxenstored()]);
	});
	after(async () => {
		for (const d of [c, ts]) {
			await d?.stop();
			if (d) rmSync(d.dir, { recursive: true, force: true });
		}
	});

	it('xenstore-write, -read, -exists, -list, -ls -p, -chmod, -rm behave as with C xenstored', () => {
		same(c, ts, 'xenstore-write', '/tools/a', 'v', '/tools/a/b', 'w', '/tools/c', 'with spaces');
		assert.equal(same(c, ts, 'xenstore-read', '/tools/a', '/tools/a/b').stdout, 'v\nw\n');
		assert.equal(same(c, ts, 'xenstore-read', '/tools/missing').status, 1);
		same(c, ts, 'xenstore-read', '-p', '/tools/c');
		assert.equal(same(c, ts, 'xenstore-exists', '/tools/a').status, 0);
		assert.equal(same(c, ts, 'xenstore-exists', '/tools/zz').status, 1);
		assert.equal(same(c, ts, 'xenstore-list', '/tools').stdout, 'a\nc\n');
		same(c, ts, 'xenstore-list', '-p', '/tools');
		same(c, ts, 'xenstore-chmod', '/tools/a', 'r0', 'w1');
		same(c, ts, 'xenstore-chmod', '-r', '/tools/c', 'b0', 'r2');
		const ls = same(c, ts, 'xenstore-ls', '-p', '/tools');
		assert.match(ls.stdout, /a = "v".*\(r0,w1\)/);
		same(c, ts, 'xenstore-ls', '-f', '/tools');
		same(c, ts, 'xenstore-ls', '/');
		same(c, ts, 'xenstore-chmod', '/tools/missing', 'b0');
		same(c, ts, 'xenstore-rm', '/tools/a/b');
		same(c, ts, 'xenstore-rm', '-t', '/tools/a');
		same(c, ts, 'xenstore-rm', '/tools/missing/deeper');
		same(c, ts, 'xenstore-ls', '-f', '/tools');
	});

	it('xenstore-ls lists a directory of more than 4096 bytes completely', () => {
		const names = Array.from({ length: 300 }, (_, i) => `child-${String(i).padStart(13, '0')}`);
		for (const d of [c, ts]) {
			const args = names.flatMap((n) => [`/big/${n}`, 'x']);
			const r = run(d, 'xenstore-write', args);
			assert.equal(r.status, 0, r.stderr);
		}
		const out = same(c, ts, 'xenstore-ls', '/big');
		assert.deepEqual(
			out.stdout.trimEnd().split('\n'),
			names.map((n) => `${n} = "x"`),
		);
		assert.equal(same(c, ts, 'xenstore-list', '/big').stdout.trimEnd().split('\n').length, 300);
	});

	it('xenstore-watch -n reports the initial event and the changes', async () => {
		const transcript = async (d: Daemon) => {
			run(d, 'xenstore-write', ['/watched', '']);
			const child = spawn('xenstore-watch', ['-n', '4', '/watched'], { env: d.clientEnv });
			let out = '';
			// 'close', not 'exit': the last line may still be on its way from the pipe when it exits.
			const done = new Promise<number | null>((resolve) => child.once('close', resolve));
			child.stdout.on('data', (b: Buffer) => {
				out += b.toString();
			});
			// The initial event is printed once the watch is set: only then make the changes.
			for (const deadline = Date.now() + 5000; !out.includes('/watched\n'); ) {
				if (Date.now() > deadline) throw new Error(`xenstore-watch on ${d.kind}: no initial event`);
				await new Promise((r) => setTimeout(r, 10));
			}
			run(d, 'xenstore-write', ['/watched/a', '1', '/elsewhere', '2', '/watched/b', '3']);
			run(d, 'xenstore-rm', ['/watched']);
			const timer = setTimeout(() => child.kill(), 5000);
			const status = await done;
			clearTimeout(timer);
			return { status, out };
		};
		const ref = await transcript(c);
		const ours = await transcript(ts);
		assert.equal(ref.out, '/watched\n/watched/a\n/watched/b\n/watched\n');
		assert.deepEqual(ours, ref);
	});

	it('test-xenstore passes every test (timings of both daemons in the diagnostics)', (t) => {
		const results: string[] = [];
		for (const d of [c, ts]) {
			const r = run(d, TEST_XENSTORE, [], 120_000);
			assert.equal(r.status, 0, `test-xenstore on ${d.kind}: exit ${r.status}\n${r.stdout}${r.stderr}`);
			assert.doesNotMatch(r.stdout, /failed/, `test-xenstore on ${d.kind}`);
			results.push(`${d.kind === 'c' ? 'C xenstored 4.17' : 'tsxenstored'}:\n${r.stdout}`);
		}
		const listed = spawnSync(TEST_XENSTORE, ['-l'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
		const ran = results[1]!.split('\n').filter((l) => /^.{10}: /.test(l));
		assert.equal(ran.length, listed.length, 'every listed test ran on tsxenstored');
		t.diagnostic(results.join('\n'));
	});

	it('python3-pyxs: the same session gives the same answers', () => {
		const ref = run(c, PYTHON, [PYXS_SESSION, c.socket]);
		const ours = run(ts, PYTHON, [PYXS_SESSION, ts.socket]);
		assert.equal(ref.status, 0, ref.stderr);
		assert.match(ref.stdout, /^read: b'value'$/m);
		assert.match(ref.stdout, /^event: Event\(path=b'\/pyxs\/w\/x', token=b'tok'\)$/m);
		assert.deepEqual(ours, ref);
	});
});
