/**
 * Migration stream benchmark: a 1,000,000-node stream read, validated and written again, with
 * the time and peak memory of each phase measured in a process of its own.
 *
 *   npm run bench:stream [-- --nodes N]
 *
 * Phases: `generate` writes the stream from a record generator; `read` reads and validates it
 * (strict); `roundtrip` reads, validates and writes it to a second file (what convert and live
 * update do) and checks the copy is byte-identical; `state` reads it into a MigrationState.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readRecordBatches, readStream } from '../src/migration/reader.ts';
import type { MigrationRecord, NodeDataRecord } from '../src/migration/records.ts';
import { collectState } from '../src/migration/state.ts';
import { writeStream } from '../src/migration/writer.ts';

const CHUNK = 1024 * 1024;

/** A daemon's worth of state: dom0, 1000 guests with ~1000 nodes each, some watches. */
function* records(nodes: number): Generator<MigrationRecord> {
	yield { type: 'GLOBAL_DATA', socketFd: 3, evtchnFd: 4 };
	const none = Buffer.alloc(0);
	for (let c = 1; c <= 64; c++) {
		yield {
			type: 'CONNECTION_DATA',
			connId: c,
			spec:
				c <= 32
					? { kind: 'ring', domid: c - 1, target: 0x7ff4, evtchn: 10 + c }
					: { kind: 'socket', fd: 10 + c },
			pendingIn: none,
			pendingOut: none,
			partialResponseLength: 0,
		};
		for (let w = 0; w < 4; w++)
			yield { type: 'WATCH_DATA', connId: c, path: `/local/domain/${c}/w${w}`, token: `token-${w}` };
	}
	const owner = [{ access: 'n', domid: 0, stale: false }] as const;
	const node = (path: string, value: Buffer, perms: NodeDataRecord['perms'] = owner): NodeDataRecord => ({
		type: 'NODE_DATA',
		connId: 0,
		txId: 0,
		access: 0,
		perms,
		path,
		value,
	});
	yield node('@releaseDomain', none);
	yield node('@introduceDomain', none);
	yield node('/', none);
	yield node('/local', none);
	yield node('/local/domain', none);
	let made = 5;
	for (let dom = 1; made < nodes; dom++) {
		const guest = [
			{ access: 'n', domid: dom, stale: false },
			{ access: 'r', domid: 0, stale: false },
		] as const;
		const base = `/local/domain/${dom}`;
		yield node(base, none, guest);
		made++;
		for (let dev = 0; dev < 10 && made < nodes; dev++) {
			const devPath = `${base}/device/vif/${dev}`;
			if (dev === 0) {
				yield node(`${base}/device`, none, guest);
				yield node(`${base}/device/vif`, none, guest);
				made += 2;
			}
			yield node(devPath, none, guest);
			made++;
			for (let k = 0; k < 97 && made < nodes; k++, made++) {
				yield node(`${devPath}/key-${k}`, Buffer.from(`value ${dom}.${dev}.${k} 00:16:3e:aa:bb:cc`), guest);
			}
		}
	}
	yield { type: 'END' };
}

async function* fromSync<T>(it: Iterable<T>): AsyncGenerator<T> {
	yield* it;
}

/** Wall time, CPU time (user + system, less sensitive to a busy machine) and peak RSS so far. */
function measure(started: bigint, cpu: NodeJS.CpuUsage, detail: string): string {
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	const used = process.cpuUsage(cpu);
	return JSON.stringify({
		ms,
		cpuMs: (used.user + used.system) / 1000,
		detail,
		maxRssKiB: process.resourceUsage().maxRSS,
	});
}

async function phase(name: string, file: string, nodes: number): Promise<string> {
	const started = process.hrtime.bigint();
	const cpu = process.cpuUsage();
	let detail = '';
	if (name === 'generate') {
		await writeStream(fromSync(records(nodes)), createWriteStream(file), { version: 1, endian: 'little' });
	} else if (name === 'read') {
		let n = 0;
		for await (const _ of readStream(createReadStream(file, { highWaterMark: CHUNK }))) n++;
		detail = `${n} records`;
	} else if (name === 'roundtrip') {
		const copy = `${file}.copy`;
		// As convert does: the reader checks every record, the writer takes them as checked.
		await writeStream(
			readRecordBatches(createReadStream(file, { highWaterMark: CHUNK })),
			createWriteStream(copy),
			{
				version: 1,
				endian: 'little',
				validate: false,
			},
		);
		const result = measure(started, cpu, 'copy is byte-identical');
		const same = (await hash(file)) === (await hash(copy));
		rmSync(copy);
		if (!same) throw new Error('the written stream differs from the one read');
		return result;
	} else if (name === 'state') {
		const state = await collectState(readStream(createReadStream(file, { highWaterMark: CHUNK })));
		detail = `${state.nodes.length} nodes held`;
	}
	return measure(started, cpu, detail);
}

async function hash(file: string): Promise<string> {
	const h = createHash('sha256');
	for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) h.update(chunk as Buffer);
	return h.digest('hex');
}

const { values } = parseArgs({
	options: {
		nodes: { type: 'string', default: '1000000' },
		phase: { type: 'string' },
		file: { type: 'string' },
	},
});
const nodes = Number(values.nodes);

if (values.phase) {
	process.stdout.write(await phase(values.phase, values.file!, nodes));
} else {
	const dir = mkdtempSync(join(tmpdir(), 'xs-stream-bench-'));
	const file = join(dir, 'stream.xs');
	const self = fileURLToPath(import.meta.url);
	try {
		const load = () =>
			loadavg()
				.map((l) => l.toFixed(2))
				.join(' ');
		console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, load before ${load()}`);
		const rows: string[][] = [['phase', 'wall s', 'CPU s', 'MB/s (wall)', 'peak RSS MiB', 'detail']];
		for (const name of ['generate', 'read', 'roundtrip', 'state']) {
			const r = spawnSync(process.execPath, [self, '--phase', name, '--file', file, '--nodes', `${nodes}`], {
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'inherit'],
			});
			if (r.status !== 0) throw new Error(`phase ${name} failed`);
			const m = JSON.parse(r.stdout) as { ms: number; cpuMs: number; detail: string; maxRssKiB: number };
			const size = statSync(file).size;
			rows.push([
				name,
				(m.ms / 1000).toFixed(2),
				(m.cpuMs / 1000).toFixed(2),
				(size / 1e6 / (m.ms / 1000)).toFixed(0),
				(m.maxRssKiB / 1024).toFixed(0),
				m.detail,
			]);
		}
		console.log(
			`${nodes} nodes, stream of ${(statSync(file).size / 1e6).toFixed(1)} MB, load after ${load()}`,
		);
		const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
		for (const row of rows)
			console.log(
				row.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
			);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
