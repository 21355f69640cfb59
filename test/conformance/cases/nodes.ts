/**
 * The node operations (READ, WRITE, MKDIR, RM, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS):
 * what each does, their payload syntax, malformed payloads, and every error a privileged socket
 * can provoke.
 */
import type { MessageTypeName } from '../../../src/protocol/message-type.ts';
import type { Case } from '../differential.ts';
import {
	burst,
	dir,
	dirPart,
	getPerms,
	line,
	manyChildren,
	mkdir,
	read,
	req,
	rm,
	setPerms,
	write,
} from './dsl.ts';

const cases: Case[] = [];

// A request whose one argument is not exactly one NUL-terminated string.
const oneArgOps: MessageTypeName[] = ['READ', 'DIRECTORY', 'GET_PERMS', 'MKDIR', 'RM'];
const badOneArg: Array<[string, string]> = [
	['no NUL', '$/a'],
	['a second NUL', '$/a\0\0'],
	['a second argument', '$/a\0b\0'],
];
for (const type of oneArgOps) {
	for (const [what, payload] of badOneArg) {
		cases.push({
			name: `${type} with ${what} after the path (EINVAL)`,
			steps: [mkdir('$/a'), req(type, payload), read('$/a')],
			differs: { id: 'missing-nul', ts: { 1: [line.error('EINVAL', { id: 2 })] } },
		});
	}
}

cases.push(
	{
		name: 'READ of a missing node, and below a missing node (ENOENT)',
		steps: [read('$/none'), read('$/none/deeper'), mkdir('$'), read('$/none')],
	},
	{
		name: 'WRITE then READ: the value byte for byte, NULs and high bytes included',
		steps: [
			write('$/v', 'a\0b\xff\x01\0'),
			read('$/v'),
			write('$/v', ''),
			read('$/v'),
			write('$/v', 'x'),
			read('$/v'),
		],
	},
	{
		name: 'WRITE creates missing parents with empty values',
		steps: [write('$/a/b/c', 'v'), read('$/a'), read('$/a/b'), dir('$'), dir('$/a'), dir('$/a/b/c')],
	},
	{
		name: 'WRITE payload without any NUL, and an empty payload (EINVAL)',
		steps: [req('WRITE', '$/a'), req('WRITE', ''), read('$/a')],
	},
	{
		name: 'WRITE with the largest value that fits a payload',
		steps: [
			write('$', ''),
			req('WRITE', (base) => `${base}/big\0${'v'.repeat(4096 - base.length - 5)}`),
			read('$/big'),
			dir('$'),
		],
	},
	{
		name: 'WRITE of the same value again succeeds',
		steps: [write('$/same', 'v'), write('$/same', 'v'), read('$/same')],
	},
	{
		name: 'MKDIR keeps an existing value and creates missing parents',
		steps: [write('$/m', 'keep'), mkdir('$/m'), read('$/m'), mkdir('$/p/q/r'), read('$/p/q'), dir('$/p/q')],
	},
	{
		name: 'RM removes the subtree; absent node fine; absent parent ENOENT',
		steps: [
			write('$/r/a/b', '1'),
			write('$/r/c', '2'),
			rm('$/r/a'),
			read('$/r/a/b'),
			read('$/r/a'),
			dir('$/r'),
			rm('$/r/a'),
			rm('$/r/a/b'),
			rm('$/nothing/here'),
			rm('$/r'),
			dir('$'),
		],
	},
	{
		name: 'DIRECTORY lists children in creation order',
		steps: [
			mkdir('$/c'),
			mkdir('$/a'),
			mkdir('$/b'),
			dir('$'),
			rm('$/a'),
			mkdir('$/a'),
			dir('$'),
			dir('$/a'),
			dir('$/nope'),
		],
	},
	{
		name: 'DIRECTORY_PART of a short list: generation count, names, and an empty name at the end',
		steps: [mkdir('$/d/aa'), mkdir('$/d/bb'), dirPart('$/d', 0), dirPart('$/d', 0), dirPart('$/d/aa', 0)],
	},
	{
		name: 'DIRECTORY_PART at offsets inside a name, at the end and beyond',
		steps: [
			mkdir('$/d/aa'),
			mkdir('$/d/bb'),
			dirPart('$/d', 1),
			dirPart('$/d', 3),
			dirPart('$/d', 5),
			dirPart('$/d', 6),
			dirPart('$/d', 7),
			dirPart('$/d', 1000000),
		],
	},
	{
		name: 'DIRECTORY_PART with an offset that is not a number',
		steps: [
			mkdir('$/d/aa'),
			dirPart('$/d', 'abc'),
			dirPart('$/d', '-1'),
			dirPart('$/d', ''),
			dirPart('$/d', '2x'),
		],
	},
	{
		name: 'DIRECTORY_PART with one or three arguments (EINVAL), of a missing node (ENOENT)',
		steps: [
			mkdir('$/d'),
			req('DIRECTORY_PART', '$/d\0'),
			req('DIRECTORY_PART', '$/d\x000\x000\0'),
			req('DIRECTORY_PART', '$/d\x000'),
			dirPart('$/none', 0),
		],
	},
	{
		name: 'DIRECTORY_PART generation count: unchanged by a child value, changed by child list or value',
		steps: [
			write('$/g/c', '1'),
			dirPart('$/g', 0),
			write('$/g/c', '2'),
			dirPart('$/g', 0),
			mkdir('$/g/d'),
			dirPart('$/g', 0),
			rm('$/g/d'),
			dirPart('$/g', 0),
			write('$/g', 'own value'),
			dirPart('$/g', 0),
			mkdir('$/g'),
			dirPart('$/g', 0),
		],
	},
	{
		name: 'a child list over 4096 bytes: DIRECTORY E2BIG, DIRECTORY_PART in two parts',
		steps: [
			burst(0, manyChildren('$/big', 300)),
			dir('$/big'),
			dirPart('$/big', 0),
			dirPart('$/big', 4080),
			dirPart('$/big', 6000),
			mkdir('$/big/another'),
			dirPart('$/big', 4080),
			rm('$/big/another'),
			dir('$/big/child-0000000000000'),
		],
	},
	{
		name: 'a child list of exactly 4096 bytes fits DIRECTORY; one more byte does not',
		steps: [
			burst(0, manyChildren('$/x', 204)),
			mkdir('$/x/abcdefghijklmn'),
			dir('$/x'),
			mkdir('$/x/a'),
			dir('$/x'),
		],
	},
	{
		name: 'GET_PERMS of a new node: inherited from its parent',
		steps: [
			mkdir('$/p'),
			getPerms('$/p'),
			setPerms('$/p', ['b0', 'r1']),
			mkdir('$/p/q'),
			getPerms('$/p/q'),
			getPerms('$/none'),
		],
	},
	{
		name: 'SET_PERMS then GET_PERMS: entries kept in order',
		steps: [
			mkdir('$/p'),
			setPerms('$/p', ['n0', 'r1', 'w2', 'b3', 'n4']),
			getPerms('$/p'),
			setPerms('$/p', ['b0']),
			getPerms('$/p'),
		],
	},
	{
		name: 'SET_PERMS with many entries',
		steps: [
			mkdir('$/p'),
			setPerms(
				'$/p',
				Array.from({ length: 40 }, (_, i) => `r${i}`),
			),
			getPerms('$/p'),
		],
	},
	{
		name: 'SET_PERMS without any permission, or of a missing node',
		steps: [
			mkdir('$/p'),
			req('SET_PERMS', '$/p\0'),
			req('SET_PERMS', '$/p'),
			setPerms('$/none', ['b0']),
			getPerms('$/p'),
		],
	},
	{
		name: 'SET_PERMS with malformed entries (EINVAL)',
		steps: [
			mkdir('$/p'),
			setPerms('$/p', ['x0']),
			setPerms('$/p', ['r']),
			setPerms('$/p', ['rabc']),
			setPerms('$/p', ['r1 ']),
			setPerms('$/p', ['']),
			setPerms('$/p', ['b0', 'q1']),
			setPerms('$/p', ['B0']),
			getPerms('$/p'),
		],
	},
	{
		name: 'SET_PERMS ignores bytes after the last NUL',
		steps: [mkdir('$/p'), req('SET_PERMS', '$/p\0b0\0r5'), getPerms('$/p')],
	},
	{
		name: 'SET_PERMS whose owner is a domain nobody introduced',
		steps: [
			mkdir('$/p'),
			setPerms('$/p', ['b5']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'b5']),
			getPerms('$/p'),
		],
	},
	{
		name: 'SET_PERMS with domids written in odd ways',
		steps: [
			mkdir('$/p'),
			setPerms('$/p', ['n0', 'r010']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'r0x10']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'r-1']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'r65536']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'r+5']),
			getPerms('$/p'),
			setPerms('$/p', ['n0', 'r 5']),
			getPerms('$/p'),
		],
		differs: {
			id: 'perm-domid-syntax',
			ts: Object.fromEntries(
				[1, 3, 5, 7, 9, 11].flatMap((step) => [
					[step, [line.error('EINVAL', { id: step + 1 })]],
					[step + 1, [line.reply('GET_PERMS', 'n0\0', { id: step + 2 })]],
				]),
			),
		},
	},
	{
		name: 'SET_PERMS with the same domain twice keeps both entries',
		steps: [mkdir('$/p'), setPerms('$/p', ['n0', 'r1', 'w1', 'b0']), getPerms('$/p')],
	},
	{
		name: 'SET_PERMS changing the owner: dom0 keeps full access',
		steps: [
			write('$/p', 'v'),
			setPerms('$/p', ['n7']),
			read('$/p'),
			write('$/p', 'w'),
			mkdir('$/p/child'),
			getPerms('$/p/child'),
		],
	},
	{
		name: 'SET_PERMS on the root and back',
		steps: [getPerms('/'), setPerms('/', ['r0']), getPerms('/'), setPerms('/', ['n0']), getPerms('/')],
	},
);

export default cases;
