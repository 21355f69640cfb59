import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PRIVILEGED_CALLER } from '../../src/store/perms.ts';
import { type Watch, type Watcher, WatchIndex } from '../../src/store/watches.ts';

/**
 * Elements that are prefixes of one another (`a`, `ab`) and paths that are prefixes of one
 * another, so that labels get split where paths part and joined again when watches go.
 */
const ELEMENTS = ['a', 'ab', 'b', 'local', 'domain', '5'];
const SPECIALS = ['@releaseDomain', '@introduceDomain', '@releaseDomain/5'];

const path = fc
	.array(fc.constantFrom(...ELEMENTS), { maxLength: 6 })
	.map((elements) => (elements.length === 0 ? '/' : `/${elements.join('/')}`));
const watchedPath = fc.oneof(
	{ weight: 8, arbitrary: path },
	{ weight: 1, arbitrary: fc.constantFrom(...SPECIALS) },
);

type Step =
	| { kind: 'add'; path: string; depth: number }
	| { kind: 'remove'; pick: number }
	| { kind: 'event'; path: string; exact: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 4,
		arbitrary: fc.record({
			kind: fc.constant('add' as const),
			path: watchedPath,
			depth: fc.integer({ min: -1, max: 3 }),
		}),
	},
	{ weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
	{ weight: 3, arbitrary: fc.record({ kind: fc.constant('event' as const), path, exact: fc.boolean() }) },
);

const watcher: Watcher = { caller: PRIVILEGED_CALLER, deliverEvent: () => {} };

const depthOf = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

/** What an event reaches, worked out the slow way from the spec: every live watch looked at. */
function expected(live: readonly Watch[], eventPath: string, exact: boolean): Watch[] {
	return live.filter((w) => {
		if (w.path === eventPath) return true;
		if (exact) return false;
		const above = w.path === '/' || eventPath.startsWith(`${w.path}/`);
		return above && (w.depth < 0 || depthOf(eventPath) - depthOf(w.path) <= w.depth);
	});
}

describe('WatchIndex against a scan of every watch', () => {
	it('matches, lists and counts the same watches through any adds and removes', () => {
		fc.assert(
			fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
				const index = new WatchIndex();
				const live: Watch[] = [];
				for (const s of steps) {
					if (s.kind === 'add') {
						const w: Watch = {
							watcher,
							path: s.path,
							token: `t${live.length}`,
							depth: s.depth,
							relativeTo: undefined,
							seq: index.nextSeq(),
						};
						index.add(w);
						live.push(w);
					} else if (s.kind === 'remove') {
						if (live.length === 0) continue;
						const [w] = live.splice(s.pick % live.length, 1);
						index.remove(w!);
						index.remove(w!); // a second removal changes nothing
					} else if (!s.path.startsWith('@')) {
						const want = expected(live, s.path, s.exact);
						assert.deepEqual(index.matching(s.path, s.exact) ?? [], want, `${s.path} exact=${s.exact}`);
					}
					assert.equal(index.size, live.length);
				}
				assert.deepEqual(index.all(), live);
				for (const p of new Set(live.map((w) => w.path))) {
					assert.deepEqual(
						[...(index.watchesOn(p) ?? [])],
						live.filter((w) => w.path === p),
					);
				}
			}),
			{ numRuns: 300 },
		);
	});

	it("holds a guest's deepest watches in memory of the order of their paths' length", () => {
		// 128 watches (C xenstored's default quota per domain) on distinct paths of 1,501 elements,
		// 3 KB each: an entry per element would take tens of MB; the paths' text is 385 KB.
		const index = new WatchIndex();
		const deep = (i: number) => `/g${i}${'/a'.repeat(1500)}`;
		const before = process.memoryUsage().heapUsed;
		for (let i = 0; i < 128; i++) {
			index.add({
				watcher,
				path: deep(i),
				token: 't',
				depth: -1,
				relativeTo: undefined,
				seq: index.nextSeq(),
			});
		}
		const grown = process.memoryUsage().heapUsed - before;
		assert.ok(grown < 4 * 1024 * 1024, `${grown} bytes for 128 watches`);
		// And an event at the end of such a path still finds its watch, and one set below it.
		const below = {
			watcher,
			path: `${deep(7)}/b`,
			token: 't',
			depth: -1,
			relativeTo: undefined,
			seq: index.nextSeq(),
		};
		index.add(below);
		assert.deepEqual(
			index.matching(`${deep(7)}/b/c`, false)?.map((w) => w.path),
			[deep(7), below.path],
		);
		index.remove(below);
		assert.deepEqual(
			index.matching(`${deep(7)}/b`, false)?.map((w) => w.path),
			[deep(7)],
		);
	});
});
