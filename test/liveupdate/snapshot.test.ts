import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { loadSnapshot, restoreStream } from '../../src/liveupdate/restore.ts';
import { writeNodes, writeSnapshot } from '../../src/liveupdate/snapshot.ts';
import { StreamBuilder } from '../../src/migration/bulk-nodes.ts';
import { byteOrder } from '../../src/migration/codec/byte-order.ts';
import { END } from '../../src/migration/records.ts';
import { emptyState } from '../../src/migration/state.ts';
import { checkStore } from '../../src/store/check.ts';
import { formatPerms, PRIVILEGED_CALLER, parsePerm } from '../../src/store/perms.ts';
import { Store } from '../../src/store/store.ts';
import { walkPreOrder } from '../../src/store/tree.ts';
import { childNames } from '../store/child-names.ts';

const dom0 = PRIVILEGED_CALLER;
const dir = mkdtempSync(join(tmpdir(), 'tsxs-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Op =
	| { kind: 'write'; path: string; value: string }
	| { kind: 'rm'; path: string }
	| { kind: 'owner'; path: string; domid: number };

const segment = fc.constantFrom('a', 'b', 'c', 'long-name-of-a-node');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const op: fc.Arbitrary<Op> = fc.oneof(
	{
		weight: 4,
		arbitrary: fc.record({ kind: fc.constant('write' as const), path, value: fc.string({ maxLength: 3 }) }),
	},
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant('rm' as const), path }) },
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('owner' as const),
			path,
			domid: fc.integer({ min: 0, max: 3 }),
		}),
	},
);

function apply(store: Store, o: Op): void {
	if (o.kind === 'write') store.write(dom0, undefined, o.path, o.value);
	else if (o.kind === 'rm') {
		if (store.tree.lookup(o.path) !== undefined) store.rm(dom0, undefined, o.path);
	} else if (store.tree.lookup(o.path) !== undefined) {
		store.setPerms(dom0, undefined, o.path, [parsePerm(`n${o.domid}`)!]);
	}
}

/** Every node in DIRECTORY order with its value and perms: equal dumps, equal stores. */
function dump(store: Store): string[] {
	const lines: string[] = [];
	walkPreOrder('/', store.tree.root, (p, n) => {
		lines.push(`${p}=${JSON.stringify(n.value)} ${formatPerms(n.perms).join(',')}`);
	});
	for (const [p, n] of store.tree.special) lines.push(`${p} ${formatPerms(n.perms).join(',')}`);
	return lines;
}

/**
 * A live update on a snapshot, without the processes: the snapshot is written while `during`
 * changes the store between its slices, `afterwards` changes it before requests would be held,
 * and the successor's store gets the snapshot, then the changed nodes and their child lists.
 */
async function handOver(
	before: Op[],
	during: Op[],
	afterwards: Op[],
	everything = false,
): Promise<[Store, Store]> {
	const old = new Store();
	for (const o of before) apply(old, o);
	const file = join(dir, `snapshot-${Math.random().toString(36).slice(2)}`);
	const walking = writeSnapshot(old, file, 'little', 2);
	for (const o of during) {
		apply(old, o);
		await nextTurn();
	}
	const snapshot = await walking;
	for (const o of afterwards) apply(old, o);

	const successor = new Store({ bare: true });
	loadSnapshot(successor, file);
	const out = new StreamBuilder({ version: 2, endian: 'little' });
	const lists: Array<[string, string[]]> = [];
	writeNodes(out, old, byteOrder('little'), everything ? -1 : snapshot.since, lists);
	out.record(END);
	restoreStream(successor, out.finish(), emptyState());
	for (const [p, names] of lists) successor.restoreChildList(p, names);
	return [old, successor];
}

describe('live update on a snapshot', () => {
	it('leaves the successor with the same store, whatever changed during and after the snapshot', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(op, { maxLength: 30 }),
				fc.array(op, { maxLength: 15 }),
				fc.array(op, { maxLength: 15 }),
				async (before, during, afterwards) => {
					const [old, successor] = await handOver(before, during, afterwards);
					assert.deepEqual(dump(successor), dump(old));
					assert.deepEqual(checkStore(successor), []);
					assert.equal(successor.ownedBy(2), old.ownedBy(2));
				},
			),
			{ numRuns: 150 },
		);
	});

	it('sends only the changed nodes when little changed', async () => {
		const before: Op[] = Array.from({ length: 50 }, (_, i) => ({
			kind: 'write',
			path: `/d/n${i}`,
			value: 'v',
		}));
		const old = new Store();
		for (const o of before) apply(old, o);
		const snapshot = await writeSnapshot(old, join(dir, 'few'), 'little');
		apply(old, { kind: 'write', path: '/d/n7', value: 'changed' });
		const out = new StreamBuilder({ version: 2, endian: 'little' });
		const lists: Array<[string, string[]]> = [];
		// The two special nodes always, and /d/n7.
		assert.equal(writeNodes(out, old, byteOrder('little'), snapshot.since, lists), 3);
		assert.deepEqual(lists, [['/d/n7', []]]);
	});

	it('puts a child removed and written again last, as the old process lists it', async () => {
		const [old, successor] = await handOver(
			[
				{ kind: 'write', path: '/x/a', value: '1' },
				{ kind: 'write', path: '/x/b', value: '2' },
				{ kind: 'write', path: '/x/a/deep', value: '3' },
			],
			[],
			[
				{ kind: 'rm', path: '/x/a' },
				{ kind: 'write', path: '/x/a', value: 'again' },
			],
		);
		assert.deepEqual(childNames(successor, dom0, undefined, '/x'), ['b', 'a']);
		assert.equal(successor.tree.lookup('/x/a/deep'), undefined);
		assert.deepEqual(dump(successor), dump(old));
	});

	it('resends every node when a domain went away after the snapshot', async () => {
		const old = new Store();
		apply(old, { kind: 'write', path: '/d/x', value: 'v' });
		const snapshot = await writeSnapshot(old, join(dir, 'departed'), 'little');
		assert.equal(old.departedSince(snapshot.since), false);
		old.domainGone(5, true);
		assert.equal(old.departedSince(snapshot.since), true);
		const [before, successor] = await handOver(
			[{ kind: 'write', path: '/d/x', value: 'v' }],
			[],
			[{ kind: 'rm', path: '/d' }],
			true,
		);
		assert.deepEqual(dump(successor), dump(before));
	});

	it('refuses a child list naming a node it does not have', () => {
		const store = new Store();
		store.write(dom0, undefined, '/p/a', '');
		assert.throws(() => store.restoreChildList('/p', ['a', 'zz']), /\/p\/zz is not known/);
		assert.throws(() => store.restoreChildList('/p', ['a', 'a']), /listed twice/);
		assert.throws(() => store.restoreChildList('/nowhere', []), /no such node/);
	});
});
