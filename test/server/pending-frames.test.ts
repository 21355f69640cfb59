import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingFrames } from '../../src/server/pending-frames.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('PendingFrames', () => {
	it('hands over one frame as it was queued, and is empty after', () => {
		const q = new PendingFrames();
		assert.ok(q.empty);
		const frame = b('reply');
		q.push(frame);
		assert.equal(q.bytes, 5);
		assert.equal(q.take(), frame, 'the very buffer, not a copy');
		assert.ok(q.empty);
		assert.equal(q.bytes, 0);
		assert.equal(q.take().length, 0);
	});

	it('hands over several frames as one buffer, in order, and starts afresh after', () => {
		const q = new PendingFrames();
		for (const s of ['a', 'bc', 'def']) q.push(b(s));
		assert.equal(q.bytes, 6);
		assert.equal(q.take().toString('latin1'), 'abcdef');
		q.push(b('x'));
		q.push(b('y'));
		assert.equal(q.take().toString('latin1'), 'xy', 'nothing of the earlier flush is left');
	});

	it('shows its contents without emptying, and clears', () => {
		const q = new PendingFrames();
		q.push(b('ab'));
		q.push(b('c'));
		assert.equal(q.contents().toString('latin1'), 'abc');
		assert.equal(q.bytes, 3);
		assert.equal(q.take().toString('latin1'), 'abc');
		q.push(b('z'));
		q.clear();
		assert.ok(q.empty);
		assert.equal(q.bytes, 0);
		assert.equal(q.contents().length, 0);
	});

	it('puts what is given before its frames in front, as one buffer', () => {
		const q = new PendingFrames();
		const held = b('held');
		assert.equal(q.contents(held), held, 'nothing queued: what is given, as it is');
		const frame = b('one');
		q.push(frame);
		assert.equal(q.contents(), frame, 'one frame and nothing before it: the frame itself');
		assert.equal(q.contents(held).toString('latin1'), 'heldone');
		q.push(b('two'));
		q.push(b('three'));
		assert.equal(q.contents(held).toString('latin1'), 'heldonetwothree');
		assert.equal(q.bytes, 11, 'what is put before is not counted as queued');
	});

	it('takes flushes of different sizes one after another without mixing them', () => {
		const q = new PendingFrames();
		const flushes = [['a', 'b', 'c', 'd'], ['e'], ['f', 'g'], ['h', 'i', 'j']];
		for (const frames of flushes) {
			for (const s of frames) q.push(b(s));
			assert.equal(q.bytes, frames.length);
			assert.equal(q.take().toString('latin1'), frames.join(''));
			assert.ok(q.empty);
		}
	});
});
