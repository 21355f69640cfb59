import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Daemon, startOxenstored, TSXENSTORED, tempDir } from '../harness/daemons.ts';
import { client, listing, liveUpdate, watchProcess } from './helpers.ts';

/**
 * Debian's oxenstored 4.17 hands over to tsxenstored: it runs the new binary with --help, writes
 * its text dump and execs `<binary> --live --restart <its arguments>`. oxenstored always listens
 * on /var/run/xenstored/socket, so this is the only test file that starts it.
 */
describe('live update: oxenstored to tsxenstored', () => {
	let daemon: Daemon;
	before(async () => {
		daemon = await startOxenstored({ dir: tempDir('lu-ox-') });
	});
	after(() => daemon.stop());

	it('takes over every client, watch and node', async (t) => {
		const env = daemon.clientEnv;
		const xs = await client(daemon.socket);
		await xs.write('/ox/b', 'two');
		await xs.write('/ox/a', Buffer.from('one\0!', 'latin1'));
		await xs.setPerms('/ox/a', [
			{ domid: 0, access: 'none' },
			{ domid: 3, access: 'both' },
		]);
		const watcher = watchProcess(env, '/ox');
		t.after(() => watcher.process.kill());
		await watcher.waitFor('/ox');
		// oxenstored lists its special nodes as children of the root; they are special nodes here.
		const withoutSpecial = (s: string) =>
			s
				.split('\n')
				.filter((l) => !l.startsWith('@'))
				.join('\n');
		const before = withoutSpecial(await listing(env));

		const result = await liveUpdate(env, TSXENSTORED);
		assert.equal(result.code, 0, result.output);
		const pid = daemon.process.pid!;
		assert.match(readFileSync(`/proc/${pid}/cmdline`, 'latin1'), /tsxenstored\.js\0--live\0--restart/);

		assert.equal(await listing(env), before);
		assert.deepEqual([...(await xs.read('/ox/a'))], [...Buffer.from('one\0!', 'latin1')]);
		await xs.write('/ox/after', 'x');
		await watcher.waitFor('/ox/after');
		xs.close();
	});
});
