import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { runTool } from '../../src/migration/tool/main.ts';
import { C_FIXTURE, OX_FIXTURE } from '../fixtures/migration/generate.ts';
import { everyRecordStream } from '../fixtures/migration/layout.ts';
import { STALE_IN_C } from '../fixtures/migration/scenario.ts';
import { projectRoot } from '../harness/daemons.ts';

const CLI = join(projectRoot, 'src', 'cli', 'xenstore-stream.ts');
const dir = mkdtempSync(join(tmpdir(), 'xs-stream-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The real program, in its own process. */
function spawnCli(...args: string[]) {
	const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1' });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

function collector() {
	const parts: Buffer[] = [];
	const stream = new Writable({
		write(chunk: Buffer, _encoding, done) {
			parts.push(Buffer.from(chunk));
			done();
		},
	});
	return { stream, text: () => Buffer.concat(parts).toString('latin1') };
}

/** The same program in this process, for speed. */
async function run(...args: string[]) {
	const out = collector();
	const err = collector();
	const code = await runTool(args, { stdout: out.stream, stderr: err.stream });
	return { code, out: out.text(), err: err.text() };
}

const file = (name: string, bytes?: Buffer) => {
	const path = join(dir, name);
	if (bytes) writeFileSync(path, bytes);
	return path;
};

describe('xenstore-stream', () => {
	it('runs as a program: --help, exit codes, output', () => {
		const help = spawnCli('--help');
		assert.equal(help.code, 0);
		assert.match(help.out, /Commands:/);
		assert.equal(spawnCli('show').code, 2);
		const check = spawnCli('check', C_FIXTURE);
		assert.equal(check.code, 0, check.err);
		assert.match(check.out, /valid stream/);
	});

	it('has --help for itself and every command', async () => {
		for (const cmd of ['show', 'json', 'from-json', 'check', 'diff', 'convert', 'stats']) {
			const r = await run(cmd, '--help');
			assert.equal(r.code, 0, cmd);
			assert.match(r.out, new RegExp(`^Usage: xenstore-stream ${cmd} `), cmd);
		}
		const r = await run('--help');
		assert.equal(r.code, 0);
		assert.match(r.out, /Commands:/);
	});

	it('exits 2 on bad usage', async () => {
		assert.equal((await run('show')).code, 2);
		assert.equal((await run('frobnicate', 'x')).code, 2);
		assert.equal((await run('show', '--version', '2', C_FIXTURE)).code, 2);
		assert.equal((await run('convert', '--version', '3', C_FIXTURE, file('x'))).code, 2);
		assert.equal((await run('show', '--bogus', C_FIXTURE)).code, 2);
	});

	it('shows one line per record, nodes as xenstore-ls -f -p does', async () => {
		const r = await run('show', C_FIXTURE);
		assert.equal(r.code, 0, r.err);
		const lines = r.out.trimEnd().split('\n');
		assert.equal(lines[0], '# xenstore migration stream, version 1, little-endian');
		assert.ok(
			lines.includes('/local/domain/5/data/binary = "\\000\\001\\002bin\\000\\xff\\x7f\\n\\000"  (b5,r0)'),
		);
		assert.ok(
			lines.includes(`${STALE_IN_C.path} = "several perms"  (n0,r5,w7,b8,r${STALE_IN_C.domid}:stale)`),
		);
		assert.ok(lines.includes('WATCH_DATA conn=4 "/vm/multi" token="bin\\ttoken\\xe9"'));
		assert.equal(lines.at(-1), 'END');
		const ox = await run('show', '--offsets', OX_FIXTURE);
		assert.equal(ox.out.split('\n')[1], '        23  GLOBAL_DATA socket-fd=3 evtchn-fd=5 domexc-port=1');
	});

	it('turns a stream into JSON and back into the very same bytes', async () => {
		for (const [name, bytes] of [
			['c', readFileSync(C_FIXTURE)],
			['v2be', everyRecordStream('big')],
		] as const) {
			const json = await run('json', file(`${name}.xs`, bytes));
			assert.equal(json.code, 0, json.err);
			const back = file(`${name}.back.xs`);
			const r = await run('from-json', file(`${name}.json`, Buffer.from(json.out, 'latin1')), back);
			assert.equal(r.code, 0, r.err);
			assert.deepEqual(readFileSync(back), bytes);
		}
	});

	it('checks: exit 0 when valid, else 1 with every problem, its offset and reason', async () => {
		const ok = await run('check', OX_FIXTURE);
		assert.equal(ok.code, 0);
		assert.match(ok.out, /valid oxenstored dump, \d+ records/);
		const bytes = Buffer.from(readFileSync(C_FIXTURE));
		bytes.writeUInt32LE(9, 16); // GLOBAL_DATA becomes an unknown type
		bytes[bytes.length - 8] = 0x63; // so does END: the stream has none
		const bad = await run('check', file('bad.xs', bytes));
		assert.equal(bad.code, 1);
		assert.match(
			bad.out,
			/record 0 \(TYPE_0x00000009\) at byte 16 \(0x10\): record type 9 is not defined by the format \[unknown-type\]/,
		);
		assert.match(bad.out, /without END \[missing-end\]/);
		assert.match(bad.out, /: 3 problems\n$/);
	});

	it('diffs: nothing for the same state, else what differs', async () => {
		const same = await run('diff', C_FIXTURE, C_FIXTURE);
		assert.equal(same.code, 0);
		assert.equal(same.out, '');
		const d = await run('diff', C_FIXTURE, OX_FIXTURE);
		assert.equal(d.code, 1);
		assert.match(d.out, /^~ node \/vm\/multi: perms \(n0,r5,w7,b8,r9:stale\) -> \(n0,r5,w7,b8,r9\)$/m);
		assert.match(d.out, /^- connection ring domid=5: /m);
		assert.match(d.out, /^~ node \/tool\/xenstored: value "" -> "/m);
	});

	it('converts between versions, byte orders and formats without losing a field', async () => {
		const v2 = file('c.v2be.xs');
		assert.equal((await run('convert', '--version', '2', '--endian', 'big', C_FIXTURE, v2)).code, 0);
		assert.equal(readFileSync(v2).readUInt32BE(8), 2);
		assert.equal(readFileSync(v2).readUInt32BE(12), 1);
		assert.equal((await run('diff', C_FIXTURE, v2)).code, 0);
		const back = file('c.back.xs');
		assert.equal((await run('convert', '--version', '1', '--endian', 'little', v2, back)).code, 0);
		assert.deepEqual(readFileSync(back), readFileSync(C_FIXTURE));

		const fromOx = file('ox.xs');
		const r = await run('convert', OX_FIXTURE, fromOx);
		assert.equal(r.code, 0, r.err);
		assert.match(r.err, /no field for it.*domexc port/);
		assert.equal((await run('check', fromOx)).code, 0);
		assert.equal((await run('diff', OX_FIXTURE, fromOx)).out, '');
	});

	it('refuses to drop a watch depth when writing version 1, unless --lossy', async () => {
		const v2 = file('every.xs', everyRecordStream('little'));
		const out = file('every.v1.xs');
		const refused = await run('convert', '--version', '1', v2, out);
		assert.equal(refused.code, 1);
		assert.match(refused.err, /would lose the depth 3 of watch "\/local\/"/);
		const lossy = await run('convert', '--version', '1', '--lossy', v2, out);
		assert.equal(lossy.code, 0, lossy.err);
		assert.match((await run('show', out)).out, /WATCH_DATA conn=2 "\/local\/" token="d"\n/);
	});

	it('counts records and bytes by type', async () => {
		const r = await run('stats', C_FIXTURE);
		assert.equal(r.code, 0);
		assert.match(r.out, /^GLOBAL_DATA +1 +16 +16 +16 +16\.0$/m);
		assert.match(r.out, /^END +1 +8 /m);
		assert.match(r.out, new RegExp(`total: ${readFileSync(C_FIXTURE).length} bytes`));
	});
});
