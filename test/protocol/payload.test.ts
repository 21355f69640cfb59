import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
	countStrings,
	joinStrings,
	oneArg,
	splitPathValue,
	splitStrings,
} from '../../src/protocol/payload.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('payload syntax', () => {
	it('oneArg wants exactly one NUL, at the end (C xenstored onearg)', () => {
		assert.equal(oneArg(b('/a\0')), '/a');
		assert.equal(oneArg(b('/a')), undefined);
		assert.equal(oneArg(b('/a\0b\0')), undefined);
		assert.equal(oneArg(b('/a\0b')), undefined);
		assert.equal(oneArg(b('')), undefined);
	});

	it('splitStrings ignores bytes after the last NUL (get_strings)', () => {
		assert.deepEqual(splitStrings(b('a\0bc\0tail')), ['a', 'bc']);
		assert.equal(countStrings(b('a\0bc\0tail')), 2);
		assert.deepEqual(splitStrings(b('')), []);
	});

	it('splitPathValue keeps NULs inside the value', () => {
		const r = splitPathValue(b('/p\0v\0w\0'));
		assert.equal(r?.path, '/p');
		assert.equal(r?.value.toString('latin1'), 'v\0w\0');
		assert.equal(splitPathValue(b('nonul')), undefined);
	});

	it('round-trips every byte value through latin1', () => {
		const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
		assert.deepEqual([...joinStrings([all.toString('latin1')])], [...all, 0]);
	});
});
