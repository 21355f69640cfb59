/**
 * Interoperability: C xenstored 4.17 restores its live update from a stream that our writer
 * wrote (its own dump, read by our reader, with nodes added and records it does not know).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { INJECTED } from '../fixtures/migration/inject.ts';
import { RawClient, strings, XS } from '../fixtures/migration/raw-client.ts';
import { projectRoot, startCXenstored, XEN_BIN } from '../harness/daemons.ts';

describe('C xenstored 4.17 restoring from a stream we wrote', () => {
	it('has every node it had, and the nodes we added, with their values and perms', async () => {
		const daemon = await startCXenstored();
		try {
			const env = daemon.clientEnv;
			execFileSync('xenstore-write', ['/before', 'kept'], { env });
			const wrapper = join(daemon.dir, 'xenstored-wrapper');
			const inject = join(projectRoot, 'test', 'fixtures', 'migration', 'inject.ts');
			const state = join(daemon.dir, 'state_dump'); // XENSTORED_RUNDIR, which 4.17 also takes as its root
			writeFileSync(
				wrapper,
				`#!/bin/sh\nset -e\n'${process.execPath}' '${inject}' '${state}'\nexec '${join(XEN_BIN, 'xenstored')}' "$@"\n`,
			);
			chmodSync(wrapper, 0o755);
			execFileSync(join(XEN_BIN, 'xenstore-control'), ['live-update', wrapper], { env });

			const client = await RawClient.open(daemon.socket);
			try {
				const read = (path: string) => client.request(XS.READ, strings(path));
				const perms = async (path: string) =>
					(await client.request(3, strings(path))).toString('latin1').split('\0').filter(Boolean);
				assert.equal((await read('/before')).toString(), 'kept');
				for (const r of INJECTED) {
					if (r.type !== 'NODE_DATA') continue;
					assert.deepEqual(await read(r.path), r.value, `value of ${r.path}`);
					assert.deepEqual(
						await perms(r.path),
						r.perms.map((p) => `${p.access}${p.domid}`),
						`perms of ${r.path}`,
					);
				}
				const children = (await client.request(1, strings('/injected')))
					.toString('latin1')
					.split('\0')
					.filter(Boolean);
				assert.deepEqual(children, ['binary']);
			} finally {
				client.close();
			}
		} finally {
			await daemon.stop();
			rmSync(daemon.dir, { recursive: true, force: true });
		}
	});
});
