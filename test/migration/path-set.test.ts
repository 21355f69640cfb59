import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathSet } from '../../src/migration/path-set.ts';

describe('PathSet', () => {
	it('holds what was added, and only that, through growth', () => {
		const set = new PathSet();
		for (let i = 0; i < 20000; i++) assert.equal(set.add(`/local/domain/${i}/name`), true);
		assert.equal(set.size, 20000);
		for (let i = 0; i < 20000; i++) {
			assert.equal(set.has(`/local/domain/${i}/name`), true);
			assert.equal(set.has(`/local/domain/${i}/nam`), false);
			assert.equal(set.add(`/local/domain/${i}/name`), false, 'a second add is refused');
		}
		assert.equal(
			set.has('/local/domain/7/name/x', '/local/domain/7/name'.length),
			true,
			'a prefix can be looked up',
		);
	});
});
