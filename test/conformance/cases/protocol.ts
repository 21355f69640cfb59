/**
 * The wire protocol itself and the remaining operations: framing (split, batched, oversized,
 * garbage), message types that are invalid or unknown, request ids, domain management requests,
 * CONTROL, and the optional feature and quota requests.
 */
import { encodeFrame } from '../../../src/protocol/frame.ts';
import { MessageType } from '../../../src/protocol/message-type.ts';
import type { Case } from '../differential.ts';
import type { RawStep } from '../transcript.ts';
import { getPerms, line, mkdir, read, req, setPerms, watch, write } from './dsl.ts';

/** A whole frame with a chosen request id, as raw bytes, waiting for the reply. */
function frame(type: number, reqId: number, txId: number, payload: string, c = 0): RawStep {
	return { c, expect: 'reply', raw: (base) => encodeFrame(type, reqId, txId, payload.replaceAll('$', base)) };
}

/** A header announcing `len` payload bytes. */
function header(type: number, reqId: number, len: number): Buffer {
	const h = encodeFrame(type, reqId, 0, '');
	h.writeUInt32LE(len, 12);
	return h;
}

const cases: Case[] = [];

for (const type of [20, 15, 16, 27, 100, 0xfffe, 0xffff, 0x10000, 0xffffffff]) {
	cases.push({
		name: `message type ${type} is not a request (ENOSYS)`,
		steps: [req(type, '$\0'), req(type, ''), read('/')],
	});
}

cases.push(
	{
		name: 'request ids are echoed, whatever their value',
		steps: [
			frame(MessageType.READ, 0, 0, '/\0'),
			frame(MessageType.READ, 0xffffffff, 0, '/\0'),
			frame(MessageType.READ, 0x7fffffff, 0, '/nonexistent\0'),
			frame(99, 12345, 0, ''),
		],
	},
	{
		name: 'the same request id twice in a row is answered twice',
		steps: [
			{
				c: 0,
				expect: 'nothing',
				raw: Buffer.concat([encodeFrame(2, 7, 0, '/\0'), encodeFrame(2, 7, 0, '/\0')]),
			},
		],
	},
	{
		name: 'several requests in one write are answered in order',
		steps: [
			{
				c: 0,
				expect: 'nothing',
				raw: (base) =>
					Buffer.concat([
						encodeFrame(MessageType.WRITE, 1, 0, `${base}/a\x001`),
						encodeFrame(MessageType.READ, 2, 0, `${base}/a\0`),
						encodeFrame(MessageType.RM, 3, 0, `${base}/a\0`),
						encodeFrame(MessageType.READ, 4, 0, `${base}/a\0`),
					]),
			},
		],
	},
	{
		name: 'a request split anywhere, even inside the header, is answered once complete',
		steps: [
			{
				c: 0,
				expect: 'nothing',
				partial: true,
				raw: (b) => encodeFrame(MessageType.WRITE, 9, 0, `${b}\0v`).subarray(0, 5),
			},
			{
				c: 0,
				expect: 'nothing',
				partial: true,
				raw: (b) => encodeFrame(MessageType.WRITE, 9, 0, `${b}\0v`).subarray(5, 18),
			},
			{ c: 0, expect: 'reply', raw: (b) => encodeFrame(MessageType.WRITE, 9, 0, `${b}\0v`).subarray(18) },
			read('$'),
		],
	},
	{
		name: 'a header announcing more than 4096 bytes closes that connection only',
		conns: 2,
		steps: [
			write('$/a', 'v', { c: 1 }),
			{ c: 0, expect: 'close', raw: header(MessageType.WRITE, 1, 4097) },
			read('$/a', { c: 1 }),
		],
	},
	{
		name: 'a payload of exactly 4096 bytes is fine',
		steps: [req('WRITE', (b) => `${b}\0${'x'.repeat(4096 - b.length - 1)}`), read('$')],
	},
	{
		name: 'a header announcing 0xffffffff bytes closes the connection',
		conns: 2,
		steps: [{ c: 0, expect: 'close', raw: header(MessageType.READ, 1, 0xffffffff) }, read('/', { c: 1 })],
	},
	{
		name: 'garbage bytes: a header of text closes the connection; the others carry on',
		conns: 2,
		steps: [
			watch('$', 'tok', { c: 1 }),
			{ c: 0, expect: 'close', raw: Buffer.from('this is not a xenstore header at all') },
			write('$/after', 'v', { c: 1 }),
		],
	},
	{
		name: 'a connection that closes with a half-sent request changes nothing',
		conns: 2,
		steps: [
			{
				c: 0,
				expect: 'nothing',
				partial: true,
				raw: (b) => encodeFrame(MessageType.WRITE, 1, 0, `${b}/half\0v`).subarray(0, 20),
			},
			{ c: 0, hangUp: true },
			read('$/half', { c: 1 }),
		],
	},
	{
		name: 'watches of a closed connection are gone',
		conns: 2,
		steps: [
			watch('$', 'tok', { c: 1 }),
			{ c: 1, expect: 'close', raw: header(MessageType.READ, 2, 5000) },
			write('$/x', 'v'),
			watch('$', 'tok'),
		],
	},
	{
		name: 'GET_DOMAIN_PATH of valid domids',
		steps: [
			req('GET_DOMAIN_PATH', '0\0'),
			req('GET_DOMAIN_PATH', '1\0'),
			req('GET_DOMAIN_PATH', '65535\0'),
			req('GET_DOMAIN_PATH', '32753\0'),
			req('GET_DOMAIN_PATH', '007\0'),
		],
	},
	{
		name: 'GET_DOMAIN_PATH without exactly one argument (EINVAL)',
		steps: [req('GET_DOMAIN_PATH', '1'), req('GET_DOMAIN_PATH', ''), req('GET_DOMAIN_PATH', '1\x002\0')],
	},
	{
		name: 'GET_DOMAIN_PATH of something that is not a domid (EINVAL)',
		steps: [
			req('GET_DOMAIN_PATH', 'abc\0'),
			req('GET_DOMAIN_PATH', '65536\0'),
			req('GET_DOMAIN_PATH', '-1\0'),
			req('GET_DOMAIN_PATH', '5x\0'),
		],
		differs: {
			id: 'domid-syntax',
			ts: {
				0: [line.error('EINVAL', { id: 1 })],
				1: [line.error('EINVAL', { id: 2 })],
				2: [line.error('EINVAL', { id: 3 })],
				3: [line.error('EINVAL', { id: 4 })],
			},
		},
	},
	{
		name: 'IS_DOMAIN_INTRODUCED: dom0 yes, others no; bad payloads EINVAL',
		steps: [
			req('IS_DOMAIN_INTRODUCED', '0\0'),
			req('IS_DOMAIN_INTRODUCED', '7\0'),
			req('IS_DOMAIN_INTRODUCED', '7'),
			req('IS_DOMAIN_INTRODUCED', ''),
		],
	},
	{
		name: 'IS_DOMAIN_INTRODUCED of something that is not a domid (EINVAL)',
		steps: [req('IS_DOMAIN_INTRODUCED', 'abc\0'), req('IS_DOMAIN_INTRODUCED', '70000\0')],
		differs: {
			id: 'domid-syntax',
			ts: { 0: [line.error('EINVAL', { id: 1 })], 1: [line.error('EINVAL', { id: 2 })] },
		},
	},
	{
		name: 'RELEASE and RESUME: dom0 EINVAL, a domain never introduced ENOENT, bad payloads EINVAL',
		steps: [
			req('RELEASE', '0\0'),
			req('RELEASE', '7\0'),
			req('RELEASE', 'x\0'),
			req('RELEASE', '7'),
			req('RELEASE', '7\x008\0'),
			req('RESUME', '0\0'),
			req('RESUME', '7\0'),
			req('RESUME', 'x\0'),
			req('RESUME', ''),
		],
	},
	{
		name: 'SET_TARGET: domains never introduced ENOENT, missing argument EINVAL',
		steps: [
			req('SET_TARGET', '7\x008\0'),
			req('SET_TARGET', '7\0'),
			req('SET_TARGET', ''),
			req('SET_TARGET', '7\x008'),
		],
	},
	{
		name: 'INTRODUCE with missing arguments or event channel 0 (EINVAL)',
		steps: [
			req('INTRODUCE', ''),
			req('INTRODUCE', '7\0'),
			req('INTRODUCE', '7\x001\0'),
			req('INTRODUCE', '7\x001\x000\0'),
			req('INTRODUCE', '7\x001\0x\0'),
			req('IS_DOMAIN_INTRODUCED', '7\0'),
		],
	},
	{
		name: 'INTRODUCE, then RELEASE, of a domain, with the special watches firing',
		conns: 2,
		steps: [
			watch('@introduceDomain', 'intro', { c: 1 }),
			watch('@releaseDomain', 'rel', { c: 1 }),
			req('INTRODUCE', '9\x004093\x0012\0'),
			req('IS_DOMAIN_INTRODUCED', '9\0'),
			req('INTRODUCE', '9\x004093\x0012\0'),
			req('RESUME', '9\0'),
			req('RELEASE', '9\0'),
			req('IS_DOMAIN_INTRODUCED', '9\0'),
			req('RELEASE', '9\0'),
		],
	},
	{
		name: 'IS_DOMAIN_INTRODUCED of DOMID_SELF (32752) is true',
		steps: [req('IS_DOMAIN_INTRODUCED', '32752\0'), req('IS_DOMAIN_INTRODUCED', '32753\0')],
	},
	{
		name: 'SET_TARGET between two introduced domains',
		steps: [
			req('INTRODUCE', '11\x004093\x0013\0'),
			req('INTRODUCE', '12\x004093\x0014\0'),
			req('SET_TARGET', '11\x0012\0'),
			req('SET_TARGET', '11\x0099\0'),
			req('RELEASE', '12\0'),
			req('RELEASE', '11\0'),
		],
	},
	{
		name: 'RELEASE of a domain that owns nodes and appears in perms',
		steps: [
			req('INTRODUCE', '13\x004093\x0015\0'),
			write('$/owned/child', 'v'),
			setPerms('$/owned', ['b13']),
			write('$/shared', 'v'),
			setPerms('$/shared', ['n0', 'r13']),
			req('RELEASE', '13\0'),
			read('$/owned'),
			read('$/owned/child'),
			getPerms('$/owned'),
			getPerms('$/shared'),
			req('INTRODUCE', '13\x004093\x0015\0'),
			getPerms('$/shared'),
			req('RELEASE', '13\0'),
		],
	},
	{
		name: 'CONTROL: check and print answer OK; unknown or empty command EINVAL',
		steps: [
			req('CONTROL', 'check\0'),
			req('CONTROL', 'print\0hello from the conformance suite\0'),
			req('CONTROL', 'no-such-command\0'),
			req('CONTROL', '\0'),
			req('CONTROL', ''),
			req('CONTROL', 'check\0extra\0'),
		],
	},
	{
		name: 'GET_PERMS on the special paths',
		steps: [getPerms('@introduceDomain'), getPerms('@releaseDomain')],
		differs: {
			id: 'special-path-perms',
			ts: {
				0: [line.reply('GET_PERMS', 'n0\0', { id: 1 })],
				1: [/^c0 GET_PERMS#2 tx=0 "n0\\0(r32756\\0)?"$/],
			},
		},
	},
	{
		name: 'SET_PERMS on the special paths, and back',
		steps: [
			setPerms('@introduceDomain', ['n0', 'r5']),
			getPerms('@introduceDomain'),
			setPerms('@introduceDomain', ['n0']),
			setPerms('@releaseDomain', ['n0', 'r5']),
			setPerms('@releaseDomain', ['n0']),
		],
		differs: {
			id: 'special-path-perms',
			ts: { 1: [line.reply('GET_PERMS', 'n0\0r5\0', { id: 2 })] },
		},
	},
	{
		name: 'SET_PERMS on an unknown special path',
		steps: [setPerms('@nothing', ['n0'])],
		differs: { id: 'special-path-perms', ts: { 0: [line.error('ENOENT', { id: 1 })] } },
	},
	{
		name: 'GET_FEATURE of the caller: a feature mask including watch depth',
		steps: [req('GET_FEATURE', ''), req('GET_FEATURE', '0\0')],
		differs: {
			id: 'feature-quota-ops',
			ts: {
				0: [/^c0 GET_FEATURE#1 tx=0 "([0-9]+)\\0"$/],
				1: [/^c0 GET_FEATURE#2 tx=0 "([0-9]+)\\0"$/],
			},
		},
	},
	{
		name: 'SET_FEATURE for dom0, introduced from the start (EBUSY); malformed (EINVAL)',
		steps: [req('SET_FEATURE', '0\x004\0'), req('SET_FEATURE', '0\0'), req('SET_FEATURE', '')],
		differs: {
			id: 'feature-quota-ops',
			ts: {
				0: [line.error('EBUSY', { id: 1 })],
				1: [line.error('EINVAL', { id: 2 })],
				2: [line.error('EINVAL', { id: 3 })],
			},
		},
	},
	{
		name: 'GET_QUOTA: the list of names holds the documented ones',
		steps: [req('GET_QUOTA', '')],
		differs: {
			id: 'feature-quota-ops',
			ts: {
				0: [
					/^c0 GET_QUOTA#1 tx=0 "(?=.*\bnodes\b)(?=.*\bwatches\b)(?=.*\btransactions\b)(?=.*\bnode-size\b)(?=.*\bpermissions\b)[a-z -]+\\0"$/,
				],
			},
		},
	},
	{
		name: 'SET_QUOTA then GET_QUOTA, global and for dom0, and back',
		steps: [
			req('GET_QUOTA', 'nodes\0'),
			req('SET_QUOTA', 'nodes\x004321\0'),
			req('GET_QUOTA', 'nodes\0'),
			req('SET_QUOTA', '0\0watches\x0077\0'),
			req('GET_QUOTA', '0\0watches\0'),
			req('SET_QUOTA', 'nodes\x001000\0'),
		],
		differs: {
			id: 'feature-quota-ops',
			ts: {
				0: [/^c0 GET_QUOTA#1 tx=0 "[0-9]+\\0"$/],
				1: [line.ok('SET_QUOTA', { id: 2 })],
				2: [line.reply('GET_QUOTA', '4321\0', { id: 3 })],
				3: [line.ok('SET_QUOTA', { id: 4 })],
				4: [line.reply('GET_QUOTA', '77\0', { id: 5 })],
				5: [line.ok('SET_QUOTA', { id: 6 })],
			},
		},
	},
	{
		name: 'GET_QUOTA and SET_QUOTA with an unknown name or too many arguments (EINVAL)',
		steps: [
			req('GET_QUOTA', 'no-such-quota\0'),
			req('SET_QUOTA', 'no-such-quota\x001\0'),
			req('SET_QUOTA', 'nodes\0'),
			req('GET_QUOTA', '0\0nodes\0extra\0'),
		],
		differs: {
			id: 'feature-quota-ops',
			ts: {
				0: [line.error('EINVAL', { id: 1 })],
				1: [line.error('EINVAL', { id: 2 })],
				2: [line.error('EINVAL', { id: 3 })],
				3: [line.error('EINVAL', { id: 4 })],
			},
		},
	},
	{
		name: 'requests keep working after every kind of error on the connection',
		steps: [req(20, ''), read('$/none/x'), req('TRANSACTION_END', 'T\0', { tx: 77 }), mkdir('$'), read('$')],
	},
);

export default cases;
