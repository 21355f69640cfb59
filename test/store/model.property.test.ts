import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { XenstoreError } from '../../src/protocol/errors.ts';
import { checkStore } from '../../src/store/check.ts';
import { PRIVILEGED_CALLER } from '../../src/store/perms.ts';
import { Store } from '../../src/store/store.ts';
import { childNames } from './child-names.ts';

/**
 * The store against a model written from the spec's words alone: a map of absolute paths to values,
 * where WRITE and MKDIR create missing parents empty, RM removes a subtree (fine when the node is
 * missing, ENOENT when its parent is), and DIRECTORY lists children in the order they were created.
 */
class Model {
	readonly values = new Map<string, string>([
		['/', ''],
		['/tool', ''],
		['/tool/xenstored', ''],
	]);
	readonly order: string[] = ['/', '/tool', '/tool/xenstored'];

	private parent(path: string): string {
		const i = path.lastIndexOf('/');
		return i <= 0 ? '/' : path.slice(0, i);
	}

	private ensure(path: string): void {
		if (this.values.has(path)) return;
		this.ensure(this.parent(path));
		this.values.set(path, '');
		this.order.push(path);
	}

	write(path: string, value: string): void {
		this.ensure(path);
		this.values.set(path, value);
	}

	mkdir(path: string): void {
		this.ensure(path);
	}

	rm(path: string): 'OK' | 'ENOENT' {
		if (!this.values.has(path)) return this.values.has(this.parent(path)) ? 'OK' : 'ENOENT';
		for (const p of [...this.values.keys()]) {
			if (p === path || p.startsWith(`${path}/`)) {
				this.values.delete(p);
				this.order.splice(this.order.indexOf(p), 1);
			}
		}
		return 'OK';
	}

	children(path: string): string[] {
		return this.order
			.filter((p) => p !== '/' && this.parent(p) === path)
			.map((p) => p.slice(p.lastIndexOf('/') + 1));
	}
}

// Few names and shallow paths, so that operations keep meeting the same nodes.
const segment = fc.constantFrom('a', 'b', 'c', 'dd');
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const op = fc.oneof(
	fc.record({ kind: fc.constant('write' as const), path, value: fc.string({ maxLength: 8 }) }),
	fc.record({ kind: fc.constant('mkdir' as const), path }),
	fc.record({ kind: fc.constant('rm' as const), path }),
	fc.record({ kind: fc.constant('read' as const), path }),
	fc.record({ kind: fc.constant('dir' as const), path }),
);

function code(fn: () => unknown): string {
	try {
		fn();
		return 'OK';
	} catch (e) {
		if (e instanceof XenstoreError) return e.code;
		throw e;
	}
}

describe('Store against a model of the spec', () => {
	it('agrees on every value, child list and error for any sequence of operations', () => {
		fc.assert(
			fc.property(fc.array(op, { minLength: 10, maxLength: 60 }), (ops) => {
				const store = new Store();
				const model = new Model();
				const dom0 = PRIVILEGED_CALLER;
				for (const o of ops) {
					switch (o.kind) {
						case 'write':
							store.write(dom0, undefined, o.path, o.value);
							model.write(o.path, o.value);
							break;
						case 'mkdir':
							store.mkdir(dom0, undefined, o.path);
							model.mkdir(o.path);
							break;
						case 'rm':
							assert.equal(
								code(() => store.rm(dom0, undefined, o.path)),
								model.rm(o.path),
							);
							break;
						case 'read': {
							const want = model.values.get(o.path);
							if (want === undefined) assert.equal(store.read(dom0, undefined, o.path), undefined, 'ENOENT');
							else assert.equal(store.read(dom0, undefined, o.path), want);
							break;
						}
						case 'dir':
							if (!model.values.has(o.path)) {
								assert.equal(
									code(() => childNames(store, dom0, undefined, o.path)),
									'ENOENT',
								);
							} else {
								assert.deepEqual(childNames(store, dom0, undefined, o.path), model.children(o.path));
							}
							break;
					}
				}
				assert.deepEqual(new Set(store.paths()), new Set(model.values.keys()));
				assert.deepEqual(checkStore(store), []);
			}),
			{ numRuns: 1000 },
		);
	});

	it('a transaction that commits leaves what the same operations outside one would', () => {
		fc.assert(
			fc.property(fc.array(op, { maxLength: 30 }), fc.array(op, { maxLength: 30 }), (setup, inTx) => {
				const direct = new Store();
				const viaTx = new Store();
				const dom0 = PRIVILEGED_CALLER;
				const apply = (
					s: Store,
					tx: ReturnType<Store['startTransaction']> | undefined,
					o: (typeof setup)[number],
				) => {
					if (o.kind === 'write') s.write(dom0, tx, o.path, o.value);
					else if (o.kind === 'mkdir') s.mkdir(dom0, tx, o.path);
					else if (o.kind === 'rm') code(() => s.rm(dom0, tx, o.path));
				};
				for (const o of setup) {
					apply(direct, undefined, o);
					apply(viaTx, undefined, o);
				}
				const tx = viaTx.startTransaction(1, dom0);
				for (const o of inTx) {
					apply(direct, undefined, o);
					apply(viaTx, tx, o);
				}
				assert.equal(viaTx.commit(dom0, tx), true);
				const dump = (s: Store) => s.paths().map((p) => `${p}=${s.read(dom0, undefined, p)}`);
				assert.deepEqual(dump(viaTx).sort(), dump(direct).sort());
				assert.deepEqual(checkStore(viaTx), []);
			}),
			{ numRuns: 1000 },
		);
	});
});
