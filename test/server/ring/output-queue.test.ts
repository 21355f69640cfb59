import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { OutputQueue } from '../../../src/server/ring/output-queue.ts';

describe('OutputQueue', () => {
	it('hands out bytes in order, in views no longer than asked, whatever the mix of pushes and takes', () => {
		const op = fc.oneof(
			fc.record({ push: fc.integer({ min: 0, max: 300 }) }),
			fc.record({ take: fc.integer({ min: 0, max: 1100 }) }),
		);
		fc.assert(
			// Up to 400 operations, so that more than 64 chunks pile up and get compacted away.
			fc.property(fc.array(op, { maxLength: 400, size: 'max' }), (ops) => {
				const queue = new OutputQueue();
				let model = Buffer.alloc(0);
				let counter = 0;
				for (const o of ops) {
					if ('push' in o) {
						const chunk = Buffer.alloc(o.push);
						for (let i = 0; i < chunk.length; i++) chunk[i] = counter++ & 0xff;
						queue.push(chunk);
						model = Buffer.concat([model, chunk]);
					} else {
						const pieces: Buffer[] = [];
						const n = queue.take(o.take, (p) => pieces.push(Buffer.from(p)));
						assert.equal(n, Math.min(o.take, model.length));
						assert.ok(pieces.every((p) => p.length > 0));
						assert.deepEqual(Buffer.concat(pieces), model.subarray(0, n));
						model = model.subarray(n);
					}
					assert.equal(queue.length, model.length);
					assert.deepEqual(queue.peekAll(), model);
				}
				queue.clear();
				assert.equal(queue.length, 0);
				assert.equal(queue.peekAll().length, 0);
			}),
			{ numRuns: 50 },
		);
	});
});
