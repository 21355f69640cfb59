import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { procStatField } from '../../bench/procstat.ts';
import { startTarget, type TargetName } from '../../bench/targets.ts';

/** The session id of a process: field 6 of /proc/<pid>/stat. */
function sessionOf(pid: number | 'self'): number {
	return procStatField(readFileSync(`/proc/${pid}/stat`, 'latin1'), 6, 'session');
}

/**
 * Linux shares the CPU between sessions first (autogroup scheduling), so a daemon left in the
 * benchmark's session competes with each of its load generator's clients as an equal. Every
 * daemon the benchmark compares must lead a session of its own, as the reference daemons do.
 * (oxenstored is left out here: it always listens on one fixed path, which other test files use.)
 */
describe('benchmark targets', () => {
	for (const name of ['ts', 'floor', 'c'] as TargetName[]) {
		it(`starts ${name} as the leader of a session of its own`, async () => {
			const target = await startTarget(name);
			try {
				const session = sessionOf(target.pid);
				assert.equal(session, target.pid, `${name} leads its session`);
				assert.notEqual(session, sessionOf('self'), `${name} is not in the benchmark's session`);
			} finally {
				await target.stop();
			}
		});
	}
});
