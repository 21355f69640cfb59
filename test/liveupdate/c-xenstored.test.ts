import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, startCXenstored, TSXENSTORED, tempDir, XEN_BIN } from '../harness/daemons.ts';
import { client, cXenstoredWrapper, eventually, listing, liveUpdate, watchProcess } from './helpers.ts';

function testXenstore(env: NodeJS.ProcessEnv): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(join(XEN_BIN, 'test-xenstore'), [], { env, timeout: 60_000 }, (error, stdout, stderr) =>
			error ? reject(new Error(`${error.message}\n${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`),
		);
	});
}

/** Which program serves, from the pid file: C xenstored or Node (tsxenstored). */
function servingProgram(dir: string): string {
	const pid = readFileSync(join(dir, 'pid'), 'utf8').trim();
	return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
}

/**
 * Debian's C xenstored 4.17 hands the host to tsxenstored (it execs the new binary with -U), and
 * tsxenstored hands it back (to C xenstored started through a wrapper with the xenshim stub):
 * every client stays connected, watches keep firing, and the store comes back exactly as it was.
 */
describe('live update: C xenstored to tsxenstored and back', () => {
	let daemon: Daemon;
	let dir: string;
	before(async () => {
		dir = tempDir('lu-c-');
		daemon = await startCXenstored({ dir, args: ['-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	it('takes over from C xenstored and gives the host back, store unchanged', async (t) => {
		const env = daemon.clientEnv;
		const xs = await client(daemon.socket);
		await xs.write('/circle/value', Buffer.from('bin\0ary\xff', 'latin1'));
		await xs.write('/circle/other', 'x');
		await xs.setPerms('/circle/value', [
			{ domid: 0, access: 'none' },
			{ domid: 5, access: 'read' },
			{ domid: 7, access: 'write' },
		]);
		await xs.introduce(5, 1234, 9);
		const watcher = watchProcess(env, '/circle');
		t.after(() => watcher.process.kill());
		await watcher.waitFor('/circle');
		const original = await listing(env);

		const toTs = await liveUpdate(env, TSXENSTORED);
		assert.equal(toTs.code, 0, toTs.output);
		assert.match(servingProgram(dir), /tsxenstored\.js/);
		assert.equal(await listing(env), original);
		assert.equal(await xs.isDomainIntroduced(5), true, 'the ring domain is kept');
		await xs.write('/circle/during', 'ts');
		await watcher.waitFor('/circle/during');
		assert.match(await testXenstore(env), /ta err/);
		// test-xenstore works below /local/domain/0 and leaves that path behind.
		await xs.rm('/local');
		await xs.rm('/circle/during');

		const toC = await liveUpdate(env, cXenstoredWrapper(dir));
		assert.equal(toC.code, 0, toC.output);
		await eventually(() => /xenstored -N/.test(servingProgram(dir)), 'C xenstored to serve');
		assert.equal(await listing(env), original);
		await xs.write('/circle/back', 'c');
		await watcher.waitFor('/circle/back');
		assert.deepEqual([...(await xs.read('/circle/value'))], [...Buffer.from('bin\0ary\xff', 'latin1')]);
		xs.close();
	});
});
