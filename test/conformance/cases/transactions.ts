/**
 * Transactions (docs/misc/xenstore.txt, "Transactions"): isolation, commit and abort, conflicts on
 * exactly the nodes a transaction touched and none for unrelated writes, transaction ids and their
 * errors, operations inside a transaction.
 */
import type { Case } from '../differential.ts';
import {
	dir,
	dirPart,
	getPerms,
	line,
	mkdir,
	read,
	req,
	rm,
	setPerms,
	txEnd,
	txStart,
	write,
} from './dsl.ts';

/** Set up `$/a` and `$/b`, start T1 on connection 0, run `inside`, let connection 1 run `outside`, commit. */
function conflictCase(
	name: string,
	inside: ReturnType<typeof read>[],
	outside: ReturnType<typeof read>[],
): Case {
	return {
		name,
		conns: 2,
		steps: [
			write('$/a', 'a0'),
			write('$/b', 'b0'),
			mkdir('$/d/c0'),
			txStart(),
			...inside.map((s) => ({ ...s, tx: 'T1' as const })),
			...outside.map((s) => ({ ...s, c: 1 })),
			txEnd(true, 'T1'),
			read('$/a'),
			read('$/b'),
			dir('$/d'),
		],
	};
}

const cases: Case[] = [
	{
		name: 'a transaction sees its own writes; others see them after commit',
		conns: 2,
		steps: [
			write('$/a', 'old'),
			txStart(),
			write('$/a', 'new', { tx: 'T1' }),
			read('$/a', { tx: 'T1' }),
			read('$/a', { c: 1 }),
			read('$/a'),
			txEnd(true, 'T1'),
			read('$/a', { c: 1 }),
		],
	},
	{
		name: 'abort discards every change',
		steps: [
			write('$/a', 'old'),
			txStart(),
			write('$/a', 'new', { tx: 'T1' }),
			mkdir('$/n', { tx: 'T1' }),
			rm('$/a', { tx: 'T1' }),
			txEnd(false, 'T1'),
			read('$/a'),
			read('$/n'),
		],
	},
	{
		name: 'a transaction does not see changes committed after it started',
		conns: 2,
		steps: [
			write('$/a', 'old'),
			txStart(),
			write('$/a', 'other', { c: 1 }),
			read('$/a', { tx: 'T1' }),
			txEnd(false, 'T1'),
		],
	},
	conflictCase(
		'conflict: the transaction read a node changed meanwhile (EAGAIN)',
		[read('$/a')],
		[write('$/a', 'x')],
	),
	conflictCase(
		'no conflict: the transaction read a node, another node changed',
		[read('$/a')],
		[write('$/b', 'x')],
	),
	conflictCase('conflict: both wrote the same node', [write('$/a', 'tx')], [write('$/a', 'x')]),
	conflictCase(
		'no conflict: the transaction wrote a node, another node changed',
		[write('$/a', 'tx')],
		[write('$/b', 'x')],
	),
	conflictCase(
		'conflict: the transaction read a missing node that was then created',
		[read('$/new')],
		[write('$/new', 'x')],
	),
	conflictCase(
		'conflict: the transaction listed a directory that then gained a child',
		[dir('$/d')],
		[mkdir('$/d/c1')],
	),
	conflictCase(
		'no conflict: the transaction listed a directory whose child then changed value',
		[dir('$/d')],
		[write('$/d/c0', 'x')],
	),
	conflictCase(
		'conflict: the transaction created a child, the parent changed value',
		[mkdir('$/d/new')],
		[write('$/d', 'x')],
	),
	{
		...conflictCase('both created different children of the same parent', [mkdir('$/d/t')], [mkdir('$/d/o')]),
		differs: {
			id: 'transaction-sibling-merge',
			ts: {
				6: [line.ok('TRANSACTION_END', { id: 6, tx: 'T1' })],
				9: [line.reply('DIRECTORY', 'c0\0o\0t\0', { id: 9 })],
			},
		},
	},
	conflictCase(
		'conflict: the transaction removed a node that then gained a child',
		[rm('$/d')],
		[mkdir('$/d/c2')],
	),
	conflictCase(
		'conflict: the transaction read perms that then changed',
		[getPerms('$/a')],
		[setPerms('$/a', ['b0'])],
	),
	conflictCase('no conflict: an unrelated subtree removed meanwhile', [write('$/a', 'tx')], [rm('$/d')]),
	conflictCase(
		'conflict: the transaction wrote a node removed meanwhile',
		[write('$/d/c0', 'tx')],
		[rm('$/d')],
	),
	conflictCase('no conflict: nothing touched in the transaction', [], [write('$/a', 'x'), rm('$/d')]),
	conflictCase('conflict: DIRECTORY_PART counts as reading the node', [dirPart('$/d', 0)], [mkdir('$/d/c3')]),
	conflictCase('conflict: the transaction read a node removed meanwhile', [read('$/a')], [rm('$/a')]),
	conflictCase(
		'conflict: MKDIR of an existing node counts as reading it',
		[mkdir('$/a')],
		[write('$/a', 'x')],
	),
	conflictCase(
		'no conflict: the transaction read a missing node, an unrelated one was created',
		[read('$/new')],
		[write('$/b/new', 'x')],
	),
	conflictCase(
		'no conflict: the transaction failed to read below a missing node',
		[read('$/x/y')],
		[write('$/b', 'x')],
	),
	{
		name: 'transactions on two connections writing different existing nodes both commit',
		conns: 2,
		steps: [
			write('$/a', '0'),
			write('$/b', '0'),
			txStart(),
			txStart({ c: 1 }),
			write('$/a', '1', { tx: 'T1' }),
			write('$/b', '2', { c: 1, tx: 'T2' }),
			txEnd(true, 'T2', 1),
			txEnd(true, 'T1'),
			read('$/a'),
			read('$/b'),
		],
	},
	{
		name: 'DIRECTORY_PART generation counts inside a transaction and after its commit',
		steps: [
			mkdir('$/g/a'),
			dirPart('$/g', 0),
			txStart(),
			dirPart('$/g', 0, { tx: 'T1' }),
			mkdir('$/g/b', { tx: 'T1' }),
			dirPart('$/g', 0, { tx: 'T1' }),
			dirPart('$/g', 0),
			txEnd(true, 'T1'),
			dirPart('$/g', 0),
		],
	},
	{
		name: 'two transactions write the same node: the first commit wins, the second gets EAGAIN',
		steps: [
			write('$/a', '0'),
			txStart(),
			txStart(),
			write('$/a', '1', { tx: 'T1' }),
			write('$/a', '2', { tx: 'T2' }),
			txEnd(true, 'T1'),
			txEnd(true, 'T2'),
			read('$/a'),
		],
	},
	{
		name: 'operations inside a transaction: mkdir, rm, directory, perms, directory part',
		steps: [
			mkdir('$'),
			txStart(),
			mkdir('$/x/y', { tx: 'T1' }),
			dir('$/x', { tx: 'T1' }),
			dirPart('$/x', 0, { tx: 'T1' }),
			setPerms('$/x', ['r0', 'b1'], { tx: 'T1' }),
			getPerms('$/x', { tx: 'T1' }),
			rm('$/x/y', { tx: 'T1' }),
			dir('$/x', { tx: 'T1' }),
			read('$/x/y', { tx: 'T1' }),
			dir('$'),
			txEnd(true, 'T1'),
			dir('$/x'),
			getPerms('$/x'),
		],
	},
	{
		name: 'a node created and removed within one transaction',
		steps: [
			mkdir('$'),
			txStart(),
			write('$/tmp', 'v', { tx: 'T1' }),
			rm('$/tmp', { tx: 'T1' }),
			txEnd(true, 'T1'),
			read('$/tmp'),
		],
	},
	{
		name: 'an unknown transaction id: ENOENT for every operation',
		steps: [
			mkdir('$'),
			read('$', { tx: 0xdead }),
			write('$/a', 'v', { tx: 0xdead }),
			mkdir('$/a', { tx: 0xdead }),
			rm('$', { tx: 0xdead }),
			dir('$', { tx: 0xdead }),
			getPerms('$', { tx: 0xdead }),
			setPerms('$', ['b0'], { tx: 0xdead }),
			dirPart('$', 0, { tx: 0xdead }),
			txEnd(true, 0xdead),
			read('$/a'),
		],
	},
	{
		name: 'transaction ids belong to their connection',
		conns: 2,
		steps: [mkdir('$'), txStart(), read('$', { c: 1, tx: 'T1' }), txEnd(true, 'T1', 1), txEnd(true, 'T1')],
	},
	{
		name: 'TRANSACTION_START inside a transaction: EBUSY; with an unknown id: ENOENT',
		steps: [txStart(), txStart({ tx: 'T1' }), txStart({ tx: 0xbeef }), txEnd(false, 'T1')],
	},
	{
		name: 'TRANSACTION_START ignores its payload',
		steps: [
			req('TRANSACTION_START', ''),
			req('TRANSACTION_START', 'x\0y\0'),
			txEnd(false, 'T1'),
			txEnd(false, 'T2'),
		],
	},
	{
		name: 'TRANSACTION_END: only T or F, with their NUL (EINVAL)',
		steps: [
			txStart(),
			req('TRANSACTION_END', 'X\0', { tx: 'T1' }),
			req('TRANSACTION_END', 'T', { tx: 'T1' }),
			req('TRANSACTION_END', 'TT\0', { tx: 'T1' }),
			req('TRANSACTION_END', '', { tx: 'T1' }),
			req('TRANSACTION_END', 'T\0F\0', { tx: 'T1' }),
			req('TRANSACTION_END', 't\0', { tx: 'T1' }),
			txEnd(false, 'T1'),
		],
	},
	{
		name: 'TRANSACTION_END outside a transaction, and twice (ENOENT)',
		steps: [txEnd(true, 0), txStart(), txEnd(true, 'T1'), txEnd(true, 'T1'), txEnd(false, 'T1')],
	},
	{
		name: 'RESET_WATCHES ends the connection’s transactions',
		steps: [
			mkdir('$'),
			txStart(),
			write('$/a', 'v', { tx: 'T1' }),
			req('RESET_WATCHES', '\0'),
			read('$', { tx: 'T1' }),
			txEnd(true, 'T1'),
			read('$/a'),
		],
	},
	{
		name: 'a closed connection’s transaction is gone',
		conns: 2,
		steps: [
			mkdir('$'),
			txStart({ c: 1 }),
			write('$/a', 'v', { c: 1, tx: 'T1' }),
			{ c: 1, raw: Buffer.alloc(16, 0xff), expect: 'close' },
			read('$/a'),
		],
	},
	{
		name: 'many transactions open on one connection',
		steps: [
			...Array.from({ length: 12 }, () => txStart()),
			...Array.from({ length: 12 }, (_, i) => write(`$/n${i}`, String(i), { tx: `T${i + 1}` as const })),
			...Array.from({ length: 12 }, (_, i) => txEnd(true, `T${i + 1}` as const)),
			dir('$'),
		],
	},
];

export default cases;
