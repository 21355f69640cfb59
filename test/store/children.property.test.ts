import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Children, seedChildHash, TABLE_ABOVE } from '../../src/store/children.ts';
import { Node } from '../../src/store/node.ts';
import { DEFAULT_PERMS } from '../../src/store/perms.ts';
import { PreOrderWalk, walkChangedPreOrder, walkPostOrder } from '../../src/store/tree.ts';

/**
 * Names enough for lists well past the Map's limit: some long enough for V8 to slice them, some
 * with bytes above 127 (the store's strings are latin1, and a table keeps names as bytes), many
 * the start of others (`c1`, `c12`, `c123`).
 */
const NAMES = Array.from({ length: 3 * TABLE_ABOVE }, (_, i) =>
	i % 5 === 0 ? `a-rather-long-child-name-${i}` : i % 7 === 0 ? `\u00e9t\u00e9\u00ff-${i}` : `c${i}`,
);

type Op =
	| { kind: 'set'; name: string; gen: number }
	| { kind: 'delete'; name: string }
	| { kind: 'clear' }
	| { kind: 'fill'; from: number; count: number }
	| { kind: 'drain'; every: number };

const name = fc.constantFrom(...NAMES);
const op: fc.Arbitrary<Op> = fc.oneof(
	{ weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), name, gen: fc.nat(1000) }) },
	{ weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), name }) },
	{ weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
	// Bulk steps, so that lists cross the limit and tables fill with holes and are rebuilt.
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant('fill' as const),
			from: fc.nat(NAMES.length - 1),
			count: fc.integer({ min: 1, max: 2 * TABLE_ABOVE }),
		}),
	},
	{
		weight: 2,
		arbitrary: fc.record({ kind: fc.constant('drain' as const), every: fc.integer({ min: 1, max: 4 }) }),
	},
);

function leaf(gen: number): Node {
	return new Node('', DEFAULT_PERMS, gen);
}

/** Apply one step to the list and to a plain Map, the model: a Map keeps creation order. */
function apply(list: Children, model: Map<string, Node>, step: Op): void {
	switch (step.kind) {
		case 'set': {
			const node = leaf(step.gen);
			list.set(step.name, node);
			model.set(step.name, node);
			return;
		}
		case 'delete':
			assert.equal(list.delete(step.name), model.delete(step.name));
			return;
		case 'clear':
			list.clear();
			model.clear();
			return;
		case 'fill':
			for (let i = 0; i < step.count; i++) {
				const n = NAMES[(step.from + i) % NAMES.length]!;
				const node = leaf(i);
				list.set(n, node);
				model.set(n, node);
			}
			return;
		case 'drain': {
			let i = 0;
			for (const n of [...model.keys()]) {
				if (i++ % step.every === 0) {
					assert.equal(list.delete(n), true);
					model.delete(n);
				}
			}
		}
	}
}

/**
 * namesFrom against the model's listing (each name and a NUL, end to end), from offsets at, inside
 * and past names, taking a few names each time or all of them.
 */
function assertListingFrom(list: Children, model: Map<string, Node>): void {
	const listing = [...model.keys()].map((n) => `${n}\0`).join('');
	const starts: number[] = [];
	let at = 0;
	for (const n of model.keys()) {
		starts.push(at);
		at += n.length + 1;
	}
	for (const offset of [
		0,
		1,
		5,
		Math.floor(listing.length / 2),
		listing.length - 1,
		listing.length,
		listing.length + 3,
	]) {
		for (const limit of [1, 3, Number.POSITIVE_INFINITY]) {
			const got: Array<[string, number]> = [];
			list.namesFrom(offset, (n, pos) => {
				got.push([n, pos]);
				return got.length < limit;
			});
			const first = starts.findIndex((s, i) => s + [...model.keys()][i]!.length + 1 > offset);
			const want: Array<[string, number]> =
				first < 0 ? [] : [...model.keys()].slice(first).map((n, i) => [n, starts[first + i]!]);
			assert.deepEqual(got, want.slice(0, limit), `listing from byte ${offset}, ${limit} names`);
		}
	}
}

function assertSame(list: Children, model: Map<string, Node>): void {
	assert.equal(list.size, model.size);
	assert.deepEqual([...list.keys()], [...model.keys()]);
	const entries = [...list.entries()];
	assert.deepEqual(
		entries.map(([n]) => n),
		[...model.keys()],
	);
	for (const [n, node] of entries) assert.equal(node, model.get(n));
	const visited: string[] = [];
	list.forEach((node, n) => {
		assert.equal(node, model.get(n));
		visited.push(n);
	});
	assert.deepEqual(visited, [...model.keys()]);
	assert.deepEqual([...list.values()], [...model.values()]);
	const names: string[] = [];
	const nodes: Node[] = [];
	list.select((node) => node.dataGen % 2 === 0, names, nodes);
	assert.deepEqual(
		names,
		[...model].filter(([, node]) => node.dataGen % 2 === 0).map(([n]) => n),
	);
	assert.deepEqual(
		nodes.map((node, i) => model.get(names[i]!) === node),
		nodes.map(() => true),
	);
	assertListingFrom(list, model);
	for (const n of NAMES) {
		assert.equal(list.get(n), model.get(n), `get(${n})`);
		assert.equal(list.has(n), model.has(n));
	}
}

describe('Children, a Map while short and a table once long', () => {
	it('behaves as a Map in creation order through any sequence of changes', () => {
		fc.assert(
			// Whatever seed the daemon draws, only where names land in the index changes.
			fc.property(fc.array(op, { maxLength: 60 }), fc.integer(), (steps, hashSeed) => {
				seedChildHash(hashSeed);
				const list = new Children(1, 1);
				const model = new Map<string, Node>();
				for (const step of steps) {
					apply(list, model, step);
					assertSame(list, model);
				}
			}),
			{ numRuns: 300 },
		);
	});

	it('keeps a replaced child in its place, in both forms', () => {
		for (const size of [3, TABLE_ABOVE + 10]) {
			const list = new Children(1, 1);
			for (let i = 0; i < size; i++) list.set(`c${i}`, leaf(i));
			const replacement = leaf(99);
			list.set('c1', replacement);
			assert.equal(list.size, size);
			assert.equal([...list.keys()][1], 'c1');
			assert.equal(list.get('c1'), replacement);
		}
	});

	it('stays right through a list growing long, shrinking to a few and growing again', () => {
		const list = new Children(1, 1);
		const model = new Map<string, Node>();
		const add = (n: string, gen: number) => {
			const node = leaf(gen);
			list.set(n, node);
			model.set(n, node);
		};
		for (let i = 0; i < 20 * TABLE_ABOVE; i++) add(`c${i}`, i);
		// Down to one child in a hundred, then a second generation of names among the survivors.
		for (let i = 0; i < 20 * TABLE_ABOVE; i++) {
			if (i % 100 !== 0) assert.equal(list.delete(`c${i}`), model.delete(`c${i}`));
		}
		assert.equal(list.size, model.size);
		for (let i = 0; i < 3 * TABLE_ABOVE; i++) add(`d${i}`, i);
		add('c0', 1);
		assert.deepEqual([...list.keys()], [...model.keys()]);
		for (const n of model.keys()) assert.equal(list.get(n), model.get(n));
		assert.equal(list.get('c1'), undefined);
	});

	// A table gives the buffers it outgrows back at once, but not while an iteration may read them.
	it('still yields the names an iteration began with after the list outgrew its buffers many times', () => {
		const list = new Children(1, 1);
		const names = Array.from({ length: 4 * TABLE_ABOVE }, (_, i) => `first-${i}`);
		for (const n of names) list.set(n, leaf(1));
		const iterator = list.keys();
		const seen = [iterator.next().value];
		for (let i = 0; i < 200 * TABLE_ABOVE; i++) list.set(`a-longer-name-than-before-${i}`, leaf(2));
		for (const n of iterator) seen.push(n);
		assert.deepEqual(seen, names);
		// Once it has ended, growth gives buffers back again, and the list is whole.
		for (let i = 0; i < 200 * TABLE_ABOVE; i++) list.set(`third-${i}`, leaf(3));
		assert.equal(list.size, 404 * TABLE_ABOVE);
		assert.deepEqual([...list.keys()].slice(0, names.length), names);
		assert.ok(list.get('third-0') !== undefined && list.get(`first-${names.length - 1}`) !== undefined);
	});

	// The walks copy the lists they hold across changes (PreOrderWalk); what an iterator sees while its
	// list changes is only bounded: a Map's iterator may see a child removed and added again twice,
	// and ends if the list becomes a table; a table's keeps the arrays it began with.
	it('yields only children, each once unless removed and added again, to an iteration that changes go on under', () => {
		fc.assert(
			fc.property(fc.array(op, { maxLength: 20 }), fc.array(op, { maxLength: 20 }), (before, during) => {
				const list = new Children(1, 1);
				const model = new Map<string, Node>();
				for (const step of before) apply(list, model, step);
				const ever = new Set(model.keys());
				const removed = new Set<string>();
				const iterator = list.entries();
				const seen = new Set<string>();
				const take = () => {
					const next = iterator.next();
					if (next.done) return false;
					const [n] = next.value;
					assert.ok(ever.has(n), `${n} was never a child`);
					assert.ok(!seen.has(n) || removed.has(n), `${n} yielded twice`);
					seen.add(n);
					return true;
				};
				take();
				for (const step of during) {
					const had = new Set(model.keys());
					apply(list, model, step);
					for (const n of had) if (!model.has(n)) removed.add(n);
					for (const n of model.keys()) ever.add(n);
					take();
				}
				while (take());
			}),
			{ numRuns: 300 },
		);
	});
});

/** A parent with `count` leaf children named c0, c1, ... */
function parentOf(count: number, gen: number): Node {
	const parent = new Node('', DEFAULT_PERMS, gen);
	for (let i = 0; i < count; i++) parent.addChild(`c${i}`, leaf(gen), gen);
	return parent;
}

describe('walking long child lists', () => {
	it('visits every node once, parents first and children in order, in every walk', () => {
		const root = new Node('', DEFAULT_PERMS, 0);
		const big = parentOf(3 * TABLE_ABOVE, 1);
		big.child('c7')!.addChild('deep', leaf(2), 2);
		root.addChild('big', big, 1);
		root.addChild('small', parentOf(3, 1), 1);
		big.removeChild('c3', 3);
		const expected = [
			'/',
			'/big',
			...Array.from({ length: 3 * TABLE_ABOVE }, (_, i) => i)
				.filter((i) => i !== 3)
				.flatMap((i) => (i === 7 ? ['/big/c7', '/big/c7/deep'] : [`/big/c${i}`])),
			'/small',
			'/small/c0',
			'/small/c1',
			'/small/c2',
		];
		const pre: string[] = [];
		new PreOrderWalk('/', root, (p) => pre.push(p)).step(Number.POSITIVE_INFINITY);
		assert.deepEqual(pre, expected);
		const changed: string[] = [];
		walkChangedPreOrder('/', root, -1, (p) => changed.push(p));
		assert.deepEqual(changed, expected);
		const post: string[] = [];
		walkPostOrder('/', root, (p) => post.push(p));
		assert.deepEqual(new Set(post), new Set(expected));
		assert.equal(post.length, expected.length);
		assert.equal(post.at(-1), '/');
		assert.ok(post.indexOf('/big/c7/deep') < post.indexOf('/big/c7'));
	});

	it('walks in slices while the tree changes without visiting a path twice', () => {
		const root = new Node('', DEFAULT_PERMS, 0);
		const big = parentOf(2 * TABLE_ABOVE, 1);
		root.addChild('big', big, 1);
		const visits: string[] = [];
		const walk = new PreOrderWalk('/', root, (p) => visits.push(p));
		let turn = 0;
		while (walk.step(10)) {
			// Between slices: children come and go, enough to rebuild the table more than once.
			for (let i = 0; i < 40; i++) big.addChild(`n${turn}-${i}`, leaf(5), 5);
			for (let i = 0; i < 30; i++) big.removeChild(`c${(turn * 30 + i) % (2 * TABLE_ABOVE)}`, 6);
			turn++;
		}
		assert.equal(new Set(visits).size, visits.length);
		// Everything there when the walk reached the list was visited.
		for (let i = 0; i < 2 * TABLE_ABOVE; i++) assert.ok(visits.includes(`/big/c${i}`));
	});
});
