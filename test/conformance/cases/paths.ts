/**
 * Path rules (docs/misc/xenstore.txt, "Paths"): characters, `//`, trailing `/`, the empty path,
 * lengths, relative paths on a socket, `@` paths where only nodes are meant; for every operation
 * that takes a path.
 */

import type { MessageTypeName } from '../../../src/protocol/message-type.ts';
import type { Case } from '../differential.ts';
import type { RequestStep } from '../transcript.ts';
import {
	dir,
	dirPart,
	getPerms,
	line,
	longPath,
	mkdir,
	type PathSpec,
	read,
	rm,
	setPerms,
	unwatch,
	watch,
	write,
} from './dsl.ts';

type Op = [name: MessageTypeName, build: (path: PathSpec) => RequestStep];

const ops: Op[] = [
	['READ', (p) => read(p)],
	['WRITE', (p) => write(p, 'value')],
	['MKDIR', (p) => mkdir(p)],
	['RM', (p) => rm(p)],
	['DIRECTORY', (p) => dir(p)],
	['DIRECTORY_PART', (p) => dirPart(p, 0)],
	['GET_PERMS', (p) => getPerms(p)],
	['SET_PERMS', (p) => setPerms(p, ['b0'])],
	['WATCH', (p) => watch(p, 'tok')],
	['UNWATCH', (p) => unwatch(p, 'tok')],
];

const invalid: Array<[what: string, path: PathSpec]> = [
	['a space', '$/a b'],
	['a non-ASCII byte', '$/a\xe9'],
	['a dot', '$/a.b'],
	['a doubled /', '$//a'],
	['a trailing /', '$/a/'],
	['the empty path', ''],
	['more than 3072 bytes', longPath(3073)],
];

const cases: Case[] = [];

for (const [opName, build] of ops) {
	for (const [what, path] of invalid) {
		const c: Case = {
			name: `${opName} refuses a path with ${what} (EINVAL)`,
			steps: [mkdir('$'), build(path)],
		};
		if (opName === 'UNWATCH') {
			c.differs = { id: 'unwatch-path-check', ts: { 1: [line.error('EINVAL', { id: 2 })] } };
		}
		cases.push(c);
	}
}

// `@` paths name special watches, not nodes: node operations refuse them.
for (const [opName, build] of ops.slice(0, 6)) {
	cases.push({ name: `${opName} refuses a special @ path (EINVAL)`, steps: [build('@introduceDomain')] });
}

// The spec allows relative paths to domains only; C xenstored, 4.17 and current, takes them on a
// socket as relative to /local/domain/0 (current C: the store domain's home), and so does tsxenstored.
for (const [opName, build] of ops) {
	cases.push({
		name: `${opName} takes a relative path on a socket as relative to /local/domain/0`,
		steps: [build((base) => `rel${base.replaceAll('/', '-')}`)],
	});
}
cases.push({
	name: 'a relative path on a socket names a node below /local/domain/0; its watch events are relative',
	steps: [
		watch((b) => `relw${b.replaceAll('/', '-')}`, 'tok'),
		write((b) => `rel${b.replaceAll('/', '-')}`, 'v'),
		read((b) => `/local/domain/0/rel${b.replaceAll('/', '-')}`),
		write((b) => `/local/domain/0/relw${b.replaceAll('/', '-')}/a`, 'v'),
		rm((b) => `/local/domain/0/relw${b.replaceAll('/', '-')}`),
		rm((b) => `rel${b.replaceAll('/', '-')}`),
	],
});

cases.push(
	{
		name: 'every allowed character: letters, digits, - / _ @',
		steps: [write('$/AZaz09-_@', 'v'), read('$/AZaz09-_@'), dir('$'), write('$/@at', 'w'), read('$/@at')],
	},
	{
		name: 'each refused character, one at a time',
		steps: [...' !"#%&\'()*+,.:;<=>?[\\]^`{|}~\x7f\x01\t'].map((ch) => read(`$/a${ch}b`)),
	},
	{
		name: 'the root: read, perms, mkdir accepted; rm refused',
		steps: [read('/'), getPerms('/'), mkdir('/'), rm('/'), read('$')],
	},
	{
		name: 'a path of 3072 bytes is valid',
		steps: [
			mkdir('$'),
			write(longPath(3072), 'v'),
			read(longPath(3072)),
			rm(longPath(3072)),
			read(longPath(3072)),
		],
		differs: {
			id: 'path-length',
			ts: {
				1: [line.ok('WRITE', { id: 2 })],
				2: [line.reply('READ', 'v', { id: 3 })],
				3: [line.ok('RM', { id: 4 })],
				4: [line.error('ENOENT', { id: 5 })],
			},
		},
	},
	{
		name: 'a path of 2049 bytes is valid',
		steps: [mkdir('$'), mkdir(longPath(2049)), getPerms(longPath(2049)), dir(longPath(2049))],
		differs: {
			id: 'path-length',
			ts: {
				1: [line.ok('MKDIR', { id: 2 })],
				2: [line.reply('GET_PERMS', 'n0\0', { id: 3 })],
				3: [line.reply('DIRECTORY', '', { id: 4 })],
			},
		},
	},
	{
		name: 'a path of 2048 bytes is valid everywhere',
		steps: [
			mkdir('$'),
			write(longPath(2048), 'v'),
			read(longPath(2048)),
			watch(longPath(2048), 't'),
			rm(longPath(2048)),
		],
	},
	{
		name: 'below /local/domain/<id>/ 2048 bytes are allowed past the prefix',
		steps: [
			write(longPath(2048 + 16, '/local/domain/0'), 'v'),
			read(longPath(2048 + 16, '/local/domain/0')),
			rm(longPath(2048 + 16, '/local/domain/0')),
		],
	},
	{
		name: 'watch and unwatch of a 3072-byte path',
		steps: [watch(longPath(3072), 'tok'), unwatch(longPath(3072), 'tok')],
		differs: {
			id: 'path-length',
			ts: {
				0: (base) => [line.ok('WATCH', { id: 1 }), line.event(longPath(3072)(base), 'tok')],
				1: [line.ok('UNWATCH', { id: 2 })],
			},
		},
	},
);

export default cases;
