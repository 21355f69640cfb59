/**
 * The commands of `xenstore-stream`. Each reads its input(s) as items (header, then records),
 * whatever the input's format, and returns the process exit code.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { adaptRecord } from '../adapt.ts';
import type { Endian, StreamVersion } from '../constants.ts';
import { diffStates, formatChange } from '../diff.ts';
import { type Input, openInput } from '../input.ts';
import { jsonLines } from '../json.ts';
import type { StreamError } from '../problems.ts';
import type { StreamItem } from '../reader.ts';
import type { MigrationRecord } from '../records.ts';
import { formatHeader, formatRecord } from '../show.ts';
import { addRecord, emptyState, type MigrationState } from '../state.ts';
import { addToStats, emptyStats, formatStats } from '../stats.ts';
import { writeStream } from '../writer.ts';
import { TextOut } from './output.ts';
import { progressBar } from './progress.ts';

/** Where a command writes: its output and its warnings. */
export interface Io {
	readonly stdout: Writable;
	readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface CommonOptions {
	readonly lenient: boolean;
	readonly io: Io;
}

export class UsageError extends Error {}

/** Thrown when a conversion would drop state that the output cannot hold. */
export class LossError extends Error {}

const stdout = (options: CommonOptions) => new TextOut(options.io.stdout);

function warn(options: CommonOptions, text: string): void {
	options.io.stderr.write(`xenstore-stream: ${text}\n`);
}

/** The items of an input with a progress bar; problems that a lenient read passes over are printed. */
async function* itemsOf(
	input: Input,
	options: CommonOptions,
	onProblem?: (p: StreamError) => void,
): AsyncGenerator<StreamItem> {
	const bar = progressBar(input.path, input.size, options.io.stderr);
	try {
		yield* input.items({
			lenient: options.lenient,
			onProblem:
				onProblem ??
				(options.lenient
					? (p) => warn(options, `${input.path}: ${p.message} (${p.disposition})`)
					: undefined),
			onProgress: (n) => bar.update(n),
		});
	} finally {
		bar.stop();
	}
}

export async function show(path: string, options: CommonOptions & { offsets: boolean }): Promise<number> {
	const input = await openInput(path);
	const out = stdout(options);
	for await (const item of itemsOf(input, options)) {
		const prefix = options.offsets ? `${item.offset.toString().padStart(10)}  ` : '';
		await out.line(
			prefix + (item.kind === 'header' ? formatHeader(item.format, item.header) : formatRecord(item.record)),
		);
	}
	await out.flush();
	return 0;
}

export async function json(path: string, options: CommonOptions): Promise<number> {
	const input = await openInput(path);
	const items = itemsOf(input, options);
	const first = await items.next();
	if (first.done || first.value.kind !== 'header') throw new Error(`${path}: no header`);
	const { header, format } = first.value;
	async function* records(): AsyncGenerator<MigrationRecord> {
		for await (const item of items) if (item.kind === 'record') yield item.record;
	}
	const out = stdout(options);
	const source = format === 'json' ? 'stream' : format;
	for await (const text of jsonLines({ source, ...header }, records())) await out.write(text);
	await out.flush();
	return 0;
}

export async function check(path: string, options: { io: Io }): Promise<number> {
	const input = await openInput(path);
	const problems: StreamError[] = [];
	let records = 0;
	try {
		for await (const item of itemsOf(input, { lenient: false, io: options.io }, (p) => problems.push(p))) {
			if (item.kind === 'record') records++;
		}
	} catch (e) {
		if (!isStreamError(e)) throw e;
		problems.push(e);
	}
	const out = new TextOut(options.io.stdout);
	for (const p of problems) await out.line(`${path}: ${p.message} [${p.code}]`);
	await out.line(
		problems.length === 0
			? `${path}: valid ${input.format === 'oxenstored-dump' ? 'oxenstored dump' : input.format}, ${records} records`
			: `${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
	);
	await out.flush();
	return problems.length === 0 ? 0 : 1;
}

function isStreamError(e: unknown): e is StreamError {
	return e instanceof Error && e.name === 'StreamError';
}

async function readState(path: string, options: CommonOptions): Promise<MigrationState> {
	const state = emptyState();
	for await (const item of itemsOf(await openInput(path), options))
		if (item.kind === 'record') addRecord(state, item.record);
	return state;
}

export async function diff(a: string, b: string, options: CommonOptions): Promise<number> {
	const changes = diffStates(await readState(a, options), await readState(b, options));
	const out = stdout(options);
	for (const c of changes) await out.line(formatChange(c));
	await out.flush();
	return changes.length === 0 ? 0 : 1;
}

export async function stats(path: string, options: CommonOptions): Promise<number> {
	const input = await openInput(path);
	const s = emptyStats();
	let head = '';
	for await (const item of itemsOf(input, options)) {
		if (item.kind === 'header') head = formatHeader(item.format, item.header);
		addToStats(s, item);
	}
	const out = stdout(options);
	await out.line(head);
	for (const line of formatStats(s)) await out.line(line);
	await out.flush();
	return 0;
}

export interface ConvertOptions extends CommonOptions {
	readonly version?: StreamVersion;
	readonly endian?: Endian;
	readonly lossy: boolean;
	/** Only accept this input format (from-json). */
	readonly requireFormat?: Input['format'];
}

/**
 * Write a binary stream from any input, record by record (memory stays bounded), to a temporary
 * file renamed over OUT only when the whole stream was written.
 */
export async function convert(inPath: string, outPath: string, options: ConvertOptions): Promise<number> {
	const input = await openInput(inPath);
	if (options.requireFormat && input.format !== options.requireFormat) {
		throw new UsageError(`${inPath} is a ${input.format}, not ${options.requireFormat}`);
	}
	const items = itemsOf(input, options);
	const first = await items.next();
	if (first.done || first.value.kind !== 'header') throw new Error(`${inPath}: no header`);
	const version = options.version ?? first.value.header.version;
	const endian = options.endian ?? first.value.header.endian;
	const notices = new Set<string>();
	const losses: string[] = [];
	async function* records(): AsyncGenerator<MigrationRecord> {
		for await (const item of items) {
			if (item.kind !== 'record') continue;
			const adapted = adaptRecord(item.record, version);
			for (const n of adapted.notices) notices.add(n);
			if (adapted.losses.length > 0) {
				if (!options.lossy)
					throw new LossError(`version ${version} would lose ${adapted.losses[0]}; --lossy drops it`);
				losses.push(...adapted.losses);
			}
			yield adapted.record;
		}
	}
	const tmp = `${outPath}.tmp-${process.pid}`;
	try {
		// The reader has checked every record; a lenient read's kept records are written as read.
		await writeStream(records(), createWriteStream(tmp), { version, endian, validate: false });
		await rename(tmp, outPath);
	} catch (e) {
		await rm(tmp, { force: true });
		throw e;
	}
	if (notices.size > 0)
		warn(options, `not carried by the binary stream (no field for it): ${[...notices].join('; ')}`);
	for (const l of losses) warn(options, `dropped ${l}`);
	return 0;
}
