import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreStream } from '../../src/liveupdate/restore.ts';
import { sampleStream } from '../../src/liveupdate/warm-up.ts';
import { emptyState } from '../../src/migration/state.ts';
import { Store } from '../../src/store/store.ts';

describe("warming up a successor's reading of the state", () => {
	// A kind the sample lacks is one whose reading code V8 meets cold in the real state, while
	// clients wait (warm-up.ts).
	it('reads a sample with every kind of record a state on a snapshot holds', () => {
		const store = new Store({ bare: true });
		const state = emptyState();
		restoreStream(store, sampleStream(), state);
		assert.ok(state.global !== undefined && state.globalQuota !== undefined);
		const specs = state.connections.map((c) => c.spec.kind);
		assert.equal(specs[0], 'ring');
		assert.ok(specs.slice(1).every((k) => k === 'socket'));
		assert.ok(state.connections.some((c) => c.pendingIn.length > 0));
		assert.ok(state.connections.some((c) => c.pendingOut.length > 0));
		assert.ok(state.watches.length > 0);
		assert.ok(state.domains.length > 0);
		assert.ok(store.tree.lookup('/warm-up/n1') !== undefined);
	});
});
