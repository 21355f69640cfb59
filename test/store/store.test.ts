import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XenstoreError } from '../../src/protocol/errors.ts';
import { Access, type Caller, formatPerms, PRIVILEGED_CALLER, parsePerm } from '../../src/store/perms.ts';
import { Store } from '../../src/store/store.ts';
import type { Watcher } from '../../src/store/watches.ts';
import { childNames } from './child-names.ts';

const dom0 = PRIVILEGED_CALLER;
const guest = (domid: number): Caller => ({ domid, privileged: false, target: undefined });
const v = (s: string) => s;
const perms = (...s: string[]) => s.map((x) => parsePerm(x)!);

function code(fn: () => unknown): string {
	try {
		fn();
	} catch (e) {
		if (e instanceof XenstoreError) return e.code;
		throw e;
	}
	return 'OK';
}

class Recorder implements Watcher {
	readonly events: string[] = [];
	readonly caller: Caller;
	constructor(caller: Caller = dom0) {
		this.caller = caller;
	}
	deliverEvent(path: string, token: string): void {
		this.events.push(`${path} ${token}`);
	}
}

function watch(store: Store, w: Recorder, path: string, token: string, depth = -1) {
	store.watches.add({ watcher: w, path, token, depth, relativeTo: undefined, seq: store.watches.nextSeq() });
}

describe('Store: basic operations', () => {
	it('starts with /, /tool and /tool/xenstored, owned by dom0 with perms n0', () => {
		const s = new Store();
		assert.deepEqual(s.paths(), ['/', '/tool', '/tool/xenstored']);
		assert.deepEqual(formatPerms(s.getPerms(dom0, undefined, '/tool')), ['n0']);
	});

	it('WRITE creates missing parents empty, READ returns the bytes', () => {
		const s = new Store();
		s.write(dom0, undefined, '/a/b/c', v('x\0y'));
		assert.equal(s.read(dom0, undefined, '/a/b/c'), 'x\0y');
		assert.equal(s.read(dom0, undefined, '/a/b')?.length, 0);
		assert.deepEqual(childNames(s, dom0, undefined, '/a'), ['b']);
	});

	it('MKDIR leaves an existing value alone', () => {
		const s = new Store();
		s.write(dom0, undefined, '/a', v('keep'));
		s.mkdir(dom0, undefined, '/a');
		assert.equal(s.read(dom0, undefined, '/a')?.toString(), 'keep');
	});

	it('RM removes a subtree; absent node is fine, absent parent is ENOENT, / is EINVAL', () => {
		const s = new Store();
		s.write(dom0, undefined, '/a/b/c', v('1'));
		s.rm(dom0, undefined, '/a/b');
		assert.deepEqual(childNames(s, dom0, undefined, '/a'), []);
		assert.equal(
			code(() => s.rm(dom0, undefined, '/a/b')),
			'OK',
		);
		assert.equal(
			code(() => s.rm(dom0, undefined, '/a/x/y')),
			'ENOENT',
		);
		assert.equal(
			code(() => s.rm(dom0, undefined, '/')),
			'EINVAL',
		);
		assert.equal(s.tree.nodeCount, 4);
	});

	it('keeps children in creation order with removals in the middle', () => {
		const s = new Store();
		for (const n of ['c', 'a', 'b', 'd']) s.write(dom0, undefined, `/p/${n}`, v(''));
		s.rm(dom0, undefined, '/p/a');
		assert.deepEqual(childNames(s, dom0, undefined, '/p'), ['c', 'b', 'd']);
	});
});

describe('Store: permissions', () => {
	it('lets owners and readers in, and hides absence behind EACCES', () => {
		const s = new Store();
		s.write(dom0, undefined, '/local/domain/5/x', v('1'));
		s.setPerms(dom0, undefined, '/local/domain/5', perms('n5'));
		s.setPerms(dom0, undefined, '/local/domain/5/x', perms('n5', 'r6'));
		assert.equal(s.read(guest(5), undefined, '/local/domain/5/x')?.toString(), '1');
		assert.equal(s.read(guest(6), undefined, '/local/domain/5/x')?.toString(), '1');
		assert.equal(
			code(() => s.write(guest(6), undefined, '/local/domain/5/x', v('2'))),
			'EACCES',
		);
		assert.equal(
			code(() => s.read(guest(7), undefined, '/local/domain/5/x')),
			'EACCES',
		);
		// domain 7 cannot read /local/domain/5, so it must not learn that /missing is missing
		assert.equal(
			code(() => s.read(guest(7), undefined, '/local/domain/5/missing')),
			'EACCES',
		);
		assert.equal(s.read(guest(5), undefined, '/local/domain/5/missing'), undefined, 'ENOENT');
	});

	it('gives nodes an unprivileged domain creates to that domain, keeping the other entries', () => {
		const s = new Store();
		s.mkdir(dom0, undefined, '/d');
		s.setPerms(dom0, undefined, '/d', perms('n0', 'b5', 'r6'));
		s.write(guest(5), undefined, '/d/mine', v('1'));
		assert.deepEqual(formatPerms(s.getPerms(dom0, undefined, '/d/mine')), ['n5', 'b5', 'r6']);
		assert.equal(s.ownedBy(5), 1);
	});

	it('only the owner changes perms and only dom0 changes the owner', () => {
		const s = new Store();
		s.mkdir(dom0, undefined, '/d');
		s.setPerms(dom0, undefined, '/d', perms('b5', 'b6'));
		assert.equal(
			code(() => s.setPerms(guest(6), undefined, '/d', perms('b5'))),
			'EACCES',
		);
		assert.equal(
			code(() => s.setPerms(guest(5), undefined, '/d', perms('b6'))),
			'EPERM',
		);
		assert.equal(
			code(() => s.setPerms(guest(5), undefined, '/d', perms('r5'))),
			'OK',
		);
		assert.equal(Access.READ, s.getPerms(dom0, undefined, '/d')[0]!.access);
	});
});

describe('Store: transactions', () => {
	it('sees its own writes, hides them from others until commit', () => {
		const s = new Store();
		const tx = s.startTransaction(1, dom0);
		s.write(dom0, tx, '/t/a', v('1'));
		assert.equal(s.read(dom0, tx, '/t/a')?.toString(), '1');
		assert.equal(s.read(dom0, undefined, '/t/a'), undefined, 'ENOENT');
		assert.equal(s.commit(dom0, tx), true);
		assert.equal(s.read(dom0, undefined, '/t/a')?.toString(), '1');
	});

	it('answers EAGAIN when a node it read changed meanwhile', () => {
		const s = new Store();
		s.write(dom0, undefined, '/c', v('0'));
		const tx = s.startTransaction(1, dom0);
		s.read(dom0, tx, '/c');
		s.write(dom0, tx, '/c', v('1'));
		s.write(dom0, undefined, '/c', v('5'));
		assert.equal(s.commit(dom0, tx), false, 'EAGAIN');
		assert.equal(s.read(dom0, undefined, '/c')?.toString(), '5');
	});

	it('does not conflict with writes to nodes it never touched', () => {
		const s = new Store();
		s.write(dom0, undefined, '/a', v('0'));
		s.write(dom0, undefined, '/b', v('0'));
		const tx = s.startTransaction(1, dom0);
		s.read(dom0, tx, '/a');
		s.write(dom0, tx, '/a', v('1'));
		s.write(dom0, undefined, '/b', v('2'));
		s.write(dom0, undefined, '/new/node', v('2'));
		assert.equal(s.commit(dom0, tx), true);
	});

	it('does not conflict when a sibling is created beside a node it creates', () => {
		const s = new Store();
		s.mkdir(dom0, undefined, '/dir');
		const tx = s.startTransaction(1, dom0);
		s.write(dom0, tx, '/dir/mine', v('1'));
		s.write(dom0, undefined, '/dir/theirs', v('2'));
		assert.equal(s.commit(dom0, tx), true);
		assert.deepEqual(childNames(s, dom0, undefined, '/dir'), ['theirs', 'mine']);
	});

	it('conflicts when a directory it listed gained a child', () => {
		const s = new Store();
		s.mkdir(dom0, undefined, '/dir');
		const tx = s.startTransaction(1, dom0);
		childNames(s, dom0, tx, '/dir');
		s.write(dom0, tx, '/flag', v('1'));
		s.write(dom0, undefined, '/dir/theirs', v('2'));
		assert.equal(s.commit(dom0, tx), false, 'EAGAIN');
	});

	it('conflicts when a node it created was created by someone else first', () => {
		const s = new Store();
		const tx = s.startTransaction(1, dom0);
		s.write(dom0, tx, '/x', v('mine'));
		s.write(dom0, undefined, '/x', v('theirs'));
		assert.equal(s.commit(dom0, tx), false, 'EAGAIN');
	});

	it('lists children as the transaction sees them after its own removals and creations', () => {
		const s = new Store();
		for (const n of ['a', 'b', 'c']) s.write(dom0, undefined, `/d/${n}`, v(''));
		const tx = s.startTransaction(1, dom0);
		s.rm(dom0, tx, '/d/b');
		s.write(dom0, tx, '/d/e', v(''));
		assert.deepEqual(childNames(s, dom0, tx, '/d'), ['a', 'c', 'e']);
		s.rm(dom0, tx, '/d');
		assert.equal(s.read(dom0, tx, '/d/a'), undefined, 'ENOENT');
		s.write(dom0, tx, '/d/z', v(''));
		assert.deepEqual(childNames(s, dom0, tx, '/d'), ['z']);
		assert.equal(s.commit(dom0, tx), true);
		assert.deepEqual(childNames(s, dom0, undefined, '/d'), ['z']);
		assert.equal(s.tree.nodeCount, s.paths().length);
	});

	it('fires the events of a transaction at commit only', () => {
		const s = new Store();
		const w = new Recorder();
		watch(s, w, '/w', 'tok');
		const tx = s.startTransaction(1, dom0);
		s.write(dom0, tx, '/w/a', v('1'));
		assert.deepEqual(w.events, []);
		assert.equal(s.commit(dom0, tx), true);
		assert.deepEqual(w.events, ['/w/a tok']);
	});
});

describe('Store: watches', () => {
	it('matches the watched path and below, within the depth', () => {
		const s = new Store();
		const w = new Recorder();
		watch(s, w, '/a', 'all');
		watch(s, w, '/a', 'one', 1);
		s.write(dom0, undefined, '/a/b', v(''));
		s.write(dom0, undefined, '/a/b/c', v(''));
		s.write(dom0, undefined, '/ab', v(''));
		assert.deepEqual(w.events, ['/a/b all', '/a/b one', '/a/b/c all']);
	});

	it('reports a removal at the removed path above it and at watched paths inside it', () => {
		const s = new Store();
		s.write(dom0, undefined, '/r/x/y', v(''));
		const w = new Recorder();
		watch(s, w, '/r', 'top');
		watch(s, w, '/r/x/y', 'inner');
		s.rm(dom0, undefined, '/r/x');
		assert.deepEqual(w.events, ['/r/x/y inner', '/r/x top']);
	});

	it('does not tell a domain about nodes it cannot read', () => {
		const s = new Store();
		s.write(dom0, undefined, '/secret/x', v(''));
		const w = new Recorder(guest(3));
		watch(s, w, '/secret', 't');
		s.write(dom0, undefined, '/secret/x', v('1'));
		assert.deepEqual(w.events, []);
	});
});
