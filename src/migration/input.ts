/**
 * Opening any of the three inputs of the tool by its first bytes: a binary stream (`xenstore`),
 * oxenstored's text dump (`$xenstored-dump-format`) or the JSON form (`{`). Each is read as the
 * same items: a header, then records with their position.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { looksLikeStream } from './codec/header.ts';
import { encodedSize } from './codec/index.ts';
import { RecordType, recordTypeName } from './constants.ts';
import { type JsonStreamHeader, parseJsonForm } from './json.ts';
import { EncodeError, problemReporter, StreamError } from './problems.ts';
import { type ReadOptions, readStreamItems, type SourceFormat, type StreamItem } from './reader.ts';
import { looksLikeTextDump, readTextDumpItems } from './text-dump.ts';
import { StreamValidator } from './validator.ts';

export interface Input {
	readonly path: string;
	readonly format: SourceFormat;
	/** Size in bytes, for progress. */
	readonly size: number;
	items(options?: ReadOptions): AsyncGenerator<StreamItem>;
}

export class InputFormatError extends Error {}

export async function detectFormat(path: string): Promise<SourceFormat> {
	const fh = await open(path, 'r');
	try {
		const buf = Buffer.alloc(64);
		const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
		const head = buf.subarray(0, bytesRead);
		if (bytesRead > 0 && looksLikeStream(head)) return 'stream';
		if (bytesRead > 0 && looksLikeTextDump(head)) return 'oxenstored-dump';
		if (/^\s*\{/.test(head.toString('latin1'))) return 'json';
		throw new InputFormatError(
			`${path}: neither a migration stream ("xenstore"), an oxenstored dump ("$xenstored-dump-format") nor JSON`,
		);
	} finally {
		await fh.close();
	}
}

const CHUNK = 1024 * 1024;

export async function openInput(path: string): Promise<Input> {
	const format = await detectFormat(path);
	const { size } = await stat(path);
	const bytes = () => createReadStream(path, { highWaterMark: CHUNK });
	switch (format) {
		case 'stream':
			return { path, format, size, items: (options) => readStreamItems(bytes(), options) };
		case 'oxenstored-dump':
			return { path, format, size, items: (options) => readTextDumpItems(bytes(), options) };
		case 'json':
			return { path, format, size, items: (options) => jsonItems(path, options) };
	}
}

/** The JSON form's records, checked by the stream's rules like any other input. */
async function* jsonItems(path: string, options: ReadOptions = {}): AsyncGenerator<StreamItem> {
	const { header, records } = parseJsonForm(await readFile(path, 'utf8'));
	options.onProgress?.(Number.MAX_SAFE_INTEGER);
	const report = problemReporter(options);
	const validator = new StreamValidator(report);
	yield { kind: 'header', format: 'json', header, offset: 0, size: 0 };
	let index = 0;
	let offset = 16;
	for (const record of records) {
		const at = { offset, index, recordType: recordTypeName(RecordType[record.type]) };
		let size = 0;
		try {
			size = encodedSize(record, header.version);
		} catch (e) {
			if (!(e instanceof EncodeError)) throw e;
			report(new StreamError('bad-value', at, e.message));
		}
		if (size > 0 && validator.accept(record, at)) yield { kind: 'record', record, index, offset, size };
		index++;
		offset += size;
	}
	if (!validator.complete) {
		report(new StreamError('missing-end', { offset }, `the ${index} records do not end with END`));
	}
}

export type { JsonStreamHeader };
