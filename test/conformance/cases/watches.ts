/**
 * Watches (docs/misc/xenstore.txt, "Watches"): the initial event, which changes fire which
 * watches with which path, removal events, depth, relative and special paths, duplicates,
 * UNWATCH and RESET_WATCHES, and events across connections.
 */
import type { Case } from '../differential.ts';
import { dir, line, mkdir, read, req, rm, setPerms, txEnd, txStart, unwatch, watch, write } from './dsl.ts';

const cases: Case[] = [
	{
		name: 'WATCH answers OK, then fires once for the watched path',
		steps: [watch('$/w', 'tok'), mkdir('$/w')],
	},
	{
		name: 'a watch fires for the path and everything below, with the changed path',
		steps: [
			watch('$/w', 'tok'),
			write('$/w', '1'),
			write('$/w/a/b/c', '2'),
			write('$/other', '3'),
			write('$/w2', '4'),
		],
	},
	{
		name: 'MKDIR fires for a new node only; SET_PERMS fires',
		steps: [
			watch('$/w', 'tok'),
			mkdir('$/w'),
			mkdir('$/w'),
			setPerms('$/w', ['b0']),
			read('$/w'),
			dir('$/w'),
		],
	},
	{
		name: 'events reach other connections watching, not the writer',
		conns: 3,
		steps: [
			watch('$/w', 'one', { c: 1 }),
			watch('$', 'two', { c: 2 }),
			write('$/w/x', 'v'),
			rm('$/w', { c: 1 }),
		],
	},
	{
		name: 'RM fires for the removed path at watches on it and above it',
		steps: [write('$/r/a/b', 'v'), watch('$', 'top'), watch('$/r', 'self'), rm('$/r')],
	},
	{
		name: 'RM fires for watches set below the removed path with their own paths, existing nodes only',
		steps: [
			write('$/r/a/b', 'v'),
			write('$/r/c', 'v'),
			watch('$/r/a/b', 'deep'),
			watch('$/r/c', 'sib'),
			watch('$/r/a/none', 'missing'),
			rm('$/r'),
			write('$/r/a/b', 'again'),
		],
	},
	{
		name: 'RM with watches above, on and below the removed path: the order of the events',
		steps: [
			write('$/r/a/b', 'v'),
			write('$/r/c', 'v'),
			watch('$', 'above'),
			watch('$/r/a/b', 'below'),
			watch('$/r', 'on'),
			watch('$/r/c', 'sibling'),
			rm('$/r'),
		],
	},
	{
		name: 'RM of a missing node fires nothing',
		steps: [mkdir('$'), watch('$', 'tok'), rm('$/none')],
	},
	{
		name: 'several watches on one connection: each fires, in the order they were set',
		steps: [
			watch('$/a/b', 'inner'),
			watch('$/a', 'outer'),
			watch('$', 'root-of-case'),
			write('$/a/b/c', 'v'),
		],
	},
	{
		name: 'one path, two tokens: both fire; the same path and token again: EEXIST',
		steps: [watch('$/w', 't1'), watch('$/w', 't2'), watch('$/w', 't1'), write('$/w', 'v')],
	},
	{
		name: 'one token, two paths: both are watches',
		steps: [
			watch('$/a', 'tok'),
			watch('$/b', 'tok'),
			write('$/a', '1'),
			write('$/b', '2'),
			unwatch('$/a', 'tok'),
			write('$/a', '3'),
			write('$/b', '4'),
		],
	},
	{
		name: 'an empty token is a token',
		steps: [watch('$/w', ''), write('$/w', 'v'), unwatch('$/w', '')],
	},
	{
		name: 'a token may hold any bytes but NUL',
		steps: [watch('$/w', 'tok with spaces/\xff\x01~'), write('$/w', 'v')],
	},
	{
		name: 'WATCH without a token, with an extra argument after the depth (EINVAL)',
		steps: [
			req('WATCH', '$/w\0'),
			req('WATCH', '$/w'),
			req('WATCH', '$/w\0tok\x001\0extra\0'),
			req('WATCH', ''),
		],
	},
	{
		name: 'WATCH ignores the tx_id in its header',
		steps: [watch('$/w', 'tok', { tx: 0x1234 }), write('$/w', 'v')],
	},
	{
		name: 'UNWATCH stops the events; unknown watch ENOENT',
		steps: [
			watch('$/w', 'tok'),
			unwatch('$/w', 'tok'),
			write('$/w', 'v'),
			unwatch('$/w', 'tok'),
			unwatch('$/w', 'other'),
			req('UNWATCH', '$/w\0'),
			req('UNWATCH', '$/w\0tok\0extra\0'),
		],
	},
	{
		name: 'UNWATCH ignores the tx_id in its header',
		steps: [watch('$/w', 'tok'), unwatch('$/w', 'tok', { tx: 0x4321 })],
	},
	{
		name: 'a watch on the root sees everything',
		steps: [watch('/', 'all'), write('$/x', 'v'), rm('$/x'), unwatch('/', 'all'), write('$/y', 'v')],
	},
	{
		name: 'watching a path that does not exist yet',
		steps: [
			watch('$/later/deep', 'tok'),
			write('$/later', 'v'),
			write('$/later/deep/er', 'v'),
			rm('$/later'),
		],
	},
	{
		name: 'WRITE creating parents fires once, for the written path',
		steps: [watch('$', 'tok'), write('$/a/b/c', 'v')],
	},
	{
		name: 'special watches: @introduceDomain and @releaseDomain fire at once',
		steps: [
			watch('@introduceDomain', 'intro'),
			watch('@releaseDomain', 'rel'),
			unwatch('@introduceDomain', 'intro'),
			unwatch('@releaseDomain', 'rel'),
		],
	},
	{
		name: 'a special watch does not fire for node changes',
		steps: [watch('@releaseDomain', 'rel'), write('$/x', 'v'), rm('$/x')],
	},
	{
		name: 'an unknown special path is accepted as a watch',
		steps: [watch('@somethingElse', 'tok'), watch('@', 'bare'), unwatch('@somethingElse', 'tok')],
	},
	{
		name: 'special watch paths follow the path rules',
		steps: [watch('@a b', 'tok'), watch('@a//b', 'tok'), watch('@a/', 'tok')],
		differs: {
			id: 'special-path-syntax',
			ts: {
				0: [line.error('EINVAL', { id: 1 })],
				1: [line.error('EINVAL', { id: 2 })],
				2: [line.error('EINVAL', { id: 3 })],
			},
		},
	},
	{
		name: 'RESET_WATCHES drops every watch of the connection only',
		conns: 2,
		steps: [
			watch('$/a', 'one'),
			watch('$/b', 'two'),
			watch('$/a', 'other', { c: 1 }),
			req('RESET_WATCHES', '\0'),
			write('$/a', 'v'),
			write('$/b', 'v'),
			watch('$/a', 'one'),
		],
	},
	{
		name: 'RESET_WATCHES ignores its payload',
		steps: [req('RESET_WATCHES', ''), req('RESET_WATCHES', 'junk\0more\0')],
	},
	{
		name: 'a transaction fires its events at commit, none on abort',
		conns: 2,
		steps: [
			watch('$', 'tok', { c: 1 }),
			txStart(),
			write('$/a', '1', { tx: 'T1' }),
			mkdir('$/b', { tx: 'T1' }),
			rm('$/a', { tx: 'T1' }),
			write('$/c', '2', { tx: 'T1' }),
			txEnd(true, 'T1'),
			txStart(),
			write('$/d', '3', { tx: 'T2' }),
			txEnd(false, 'T2'),
		],
	},
	{
		name: 'watch depth: 0 the path only, 1 its children, 2 grandchildren',
		steps: [
			watch('$/d', 'd0\x000'),
			watch('$/d', 'd1\x001'),
			watch('$/d', 'd2\x002'),
			write('$/d', 'v'),
			write('$/d/a', 'v'),
			write('$/d/a/b', 'v'),
			write('$/d/a/b/c', 'v'),
		],
		differs: {
			id: 'watch-depth',
			ts: {
				0: (b) => [line.ok('WATCH', { id: 1 }), line.event(`${b}/d`, 'd0')],
				1: (b) => [line.ok('WATCH', { id: 2 }), line.event(`${b}/d`, 'd1')],
				2: (b) => [line.ok('WATCH', { id: 3 }), line.event(`${b}/d`, 'd2')],
				3: (b) => [
					line.event(`${b}/d`, 'd0'),
					line.event(`${b}/d`, 'd1'),
					line.event(`${b}/d`, 'd2'),
					line.ok('WRITE', { id: 4 }),
				],
				4: (b) => [line.event(`${b}/d/a`, 'd1'), line.event(`${b}/d/a`, 'd2'), line.ok('WRITE', { id: 5 })],
				5: (b) => [line.event(`${b}/d/a/b`, 'd2'), line.ok('WRITE', { id: 6 })],
				6: [line.ok('WRITE', { id: 7 })],
			},
		},
	},
	{
		name: 'watch depth on the root: 1 means the top-level nodes',
		steps: [watch('/', 'r1\x001'), write('$/x', 'v'), write('$-top', 'v'), unwatch('/', 'r1')],
		differs: {
			id: 'watch-depth',
			ts: {
				0: [line.ok('WATCH', { id: 1 }), line.event('/', 'r1')],
				1: [line.ok('WRITE', { id: 2 })],
				2: (b) => [line.event(`${b}-top`, 'r1'), line.ok('WRITE', { id: 3 })],
				3: [line.ok('UNWATCH', { id: 4 })],
			},
		},
	},
	{
		name: 'watch depth must be a number of 0 or more',
		steps: [watch('$/d', 'neg\0-1'), watch('$/d', 'ok\x003')],
		differs: {
			id: 'watch-depth',
			ts: {
				0: [line.error('EINVAL', { id: 1 })],
				1: (b) => [line.ok('WATCH', { id: 2 }), line.event(`${b}/d`, 'ok')],
			},
		},
	},
	{
		name: 'an event too long for a message is not sent; a watch payload of 4096 bytes is fine',
		steps: [
			req('WATCH', (base) => `${base}/w\0${'t'.repeat(4096 - base.length - 4)}\0`),
			write('$/w', 'v'),
			write('$/w/x', 'v'),
			req('UNWATCH', (base) => `${base}/w\0${'t'.repeat(4096 - base.length - 4)}\0`),
		],
	},
	{
		name: 'the committing connection gets its own transaction’s events, before the reply',
		steps: [
			mkdir('$'),
			watch('$', 'self'),
			txStart(),
			write('$/a', '1', { tx: 'T1' }),
			write('$/b', '2', { tx: 'T1' }),
			write('$/a', '3', { tx: 'T1' }),
			txEnd(true, 'T1'),
		],
	},
	{
		name: 'a transaction removing a subtree: events at commit, for watches on it, above and below',
		conns: 2,
		steps: [
			write('$/r/a/b', 'v'),
			write('$/r/c', 'v'),
			watch('$', 'above', { c: 1 }),
			watch('$/r/a/b', 'below', { c: 1 }),
			watch('$/r', 'on', { c: 1 }),
			txStart(),
			rm('$/r', { tx: 'T1' }),
			read('$/r'),
			txEnd(true, 'T1'),
		],
	},
	{
		name: 'SET_PERMS in a transaction fires at commit',
		conns: 2,
		steps: [
			mkdir('$/p'),
			watch('$/p', 'tok', { c: 1 }),
			txStart(),
			setPerms('$/p', ['r0'], { tx: 'T1' }),
			txEnd(true, 'T1'),
		],
	},
	{
		name: 'the same token on two connections: each gets its own events',
		conns: 2,
		steps: [
			watch('$/a', 'same'),
			watch('$/a', 'same', { c: 1 }),
			write('$/a/x', 'v'),
			unwatch('$/a', 'same', { c: 1 }),
			write('$/a/y', 'v'),
		],
	},
	{
		name: 'two watches with one token over the same node: one event per change, again for each change',
		conns: 3,
		steps: [
			watch('$/a', 'same', { c: 1 }),
			watch('$/a/b', 'same', { c: 1 }),
			watch('$/a/b', 'other', { c: 2 }),
			write('$/a/b/c', 'v'),
			write('$/a/b/c', 'v'),
			write('$/a/b', 'w'),
			write('$/a/b/c', 'v'),
		],
	},
	{
		name: 'removing a node with many children fires once at a watch above it',
		steps: [
			watch('$', 'tok'),
			req('WRITE', '$/m/a\0'),
			req('WRITE', '$/m/b\0'),
			req('WRITE', '$/m/c/d\0'),
			rm('$/m'),
		],
	},
	{
		name: 'removal of a watched node created in the same step sequence: events by order of operations',
		conns: 2,
		steps: [
			watch('$/x', 'tok', { c: 1 }),
			write('$/x', '1'),
			write('$/x', '2'),
			rm('$/x'),
			write('$/x/y', '3'),
		],
	},
];

export default cases;
