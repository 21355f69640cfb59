/**
 * The JSON form of a stream: one object with the stream's version and byte order and its records
 * in order, one per line. Byte strings (paths, tokens, values, pending data, quota names) are JSON
 * strings when every byte is printable ASCII, else `{"base64": "…"}`; perms are `"r5"`, with
 * `":stale"` appended for a stale entry; uint64 values (unique ids, mfns) are decimal strings.
 * Committed nodes leave out conn-id, tx-id and access (all 0). Read back, it gives the same records,
 * so a stream written from it is the stream it came from.
 */
import { type Endian, type PermLetter, RecordType, type StreamVersion } from './constants.ts';
import type { SourceFormat } from './reader.ts';
import type { ConnectionSpec, MigrationRecord, NodePerm, QuotaValue } from './records.ts';

export const JSON_FORM_VERSION = 1;

export interface JsonStreamHeader {
	/** What the JSON was made from. */
	readonly source: Exclude<SourceFormat, 'json'>;
	readonly version: StreamVersion;
	readonly endian: Endian;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PRINTABLE = /^[\x20-\x7e]*$/;

export function bytesToJson(bytes: Buffer): Json {
	const s = bytes.toString('latin1');
	return PRINTABLE.test(s) ? s : { base64: bytes.toString('base64') };
}

function textToJson(s: string): Json {
	return PRINTABLE.test(s) ? s : { base64: Buffer.from(s, 'latin1').toString('base64') };
}

function permToJson(p: NodePerm): string {
	return `${p.access}${p.domid}${p.stale ? ':stale' : ''}`;
}

function quotasToJson(quotas: readonly QuotaValue[]): Json {
	return quotas.map((q) => ({ name: textToJson(q.name), value: q.value }));
}

function specToJson(spec: ConnectionSpec): Json {
	if (spec.kind === 'socket') return { kind: 'socket', fd: spec.fd };
	const out: { [key: string]: Json } = {
		kind: 'ring',
		domid: spec.domid,
		target: spec.target,
		evtchn: spec.evtchn,
	};
	if (spec.mfn !== undefined) out.mfn = spec.mfn.toString();
	if (spec.remotePort !== undefined) out.remotePort = spec.remotePort;
	return out;
}

export function recordToJson(r: MigrationRecord): Json {
	switch (r.type) {
		case 'END':
			return { type: r.type };
		case 'GLOBAL_DATA':
			return r.domexcPort === undefined
				? { type: r.type, socketFd: r.socketFd, evtchnFd: r.evtchnFd }
				: { type: r.type, socketFd: r.socketFd, evtchnFd: r.evtchnFd, domexcPort: r.domexcPort };
		case 'CONNECTION_DATA': {
			const out: { [key: string]: Json } = {
				type: r.type,
				connId: r.connId,
				spec: specToJson(r.spec),
				pendingIn: bytesToJson(r.pendingIn),
				pendingOut: bytesToJson(r.pendingOut),
				partialResponseLength: r.partialResponseLength,
			};
			if (r.uniqueId !== undefined) out.uniqueId = r.uniqueId.toString();
			return out;
		}
		case 'WATCH_DATA':
			return { type: r.type, connId: r.connId, path: textToJson(r.path), token: textToJson(r.token) };
		case 'WATCH_DATA_EXTENDED':
			return {
				type: r.type,
				connId: r.connId,
				path: textToJson(r.path),
				token: textToJson(r.token),
				depth: r.depth,
			};
		case 'TRANSACTION_DATA':
			return { type: r.type, connId: r.connId, txId: r.txId };
		case 'NODE_DATA': {
			const base = { path: textToJson(r.path), value: bytesToJson(r.value), perms: r.perms.map(permToJson) };
			if (r.connId === 0) return { type: r.type, ...base };
			return { type: r.type, connId: r.connId, txId: r.txId, access: r.access, ...base };
		}
		case 'GLOBAL_QUOTA_DATA':
			return { type: r.type, perDomain: quotasToJson(r.perDomain), globalOnly: quotasToJson(r.globalOnly) };
		case 'DOMAIN_DATA':
			return { type: r.type, domid: r.domid, features: r.features, quotas: quotasToJson(r.quotas) };
	}
}

/** The JSON form as text, produced piece by piece (one record per line) for streams of any size. */
export async function* jsonLines(
	header: JsonStreamHeader,
	records: AsyncIterable<MigrationRecord>,
): AsyncGenerator<string> {
	const head = { xenstoreMigrationStream: JSON_FORM_VERSION, ...header };
	yield `${JSON.stringify(head).slice(0, -1)},"records":[\n`;
	let first = true;
	for await (const record of records) {
		yield `${first ? '' : ',\n'}${JSON.stringify(recordToJson(record))}`;
		first = false;
	}
	yield '\n]}\n';
}

/** A JSON form that does not follow the documented shape; `where` is a JSON path such as `records[3].perms[0]`. */
export class JsonFormError extends Error {
	constructor(where: string, reason: string) {
		super(`${where}: ${reason}`);
		this.name = 'JsonFormError';
	}
}

class Fields {
	private readonly obj: { [key: string]: unknown };
	readonly where: string;

	constructor(value: unknown, where: string) {
		if (typeof value !== 'object' || value === null || Array.isArray(value)) {
			throw new JsonFormError(where, 'not an object');
		}
		this.obj = value as { [key: string]: unknown };
		this.where = where;
	}

	has(key: string): boolean {
		return this.obj[key] !== undefined;
	}

	raw(key: string): unknown {
		const v = this.obj[key];
		if (v === undefined) throw new JsonFormError(`${this.where}.${key}`, 'missing');
		return v;
	}

	int(key: string, min: number, max: number): number {
		const v = this.raw(key);
		if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
			throw new JsonFormError(
				`${this.where}.${key}`,
				`${JSON.stringify(v)} is not an integer in ${min}..${max}`,
			);
		}
		return v;
	}

	bigint(key: string): bigint {
		const v = this.raw(key);
		if (typeof v !== 'string' || !/^\d{1,20}$/.test(v) || BigInt(v) > 0xffffffffffffffffn) {
			throw new JsonFormError(`${this.where}.${key}`, `${JSON.stringify(v)} is not a decimal uint64 string`);
		}
		return BigInt(v);
	}

	bytes(key: string): Buffer {
		return bytesFromJson(this.raw(key), `${this.where}.${key}`);
	}

	text(key: string): string {
		return this.bytes(key).toString('latin1');
	}

	array(key: string): unknown[] {
		const v = this.raw(key);
		if (!Array.isArray(v)) throw new JsonFormError(`${this.where}.${key}`, 'not an array');
		return v;
	}

	string(key: string): string {
		const v = this.raw(key);
		if (typeof v !== 'string') throw new JsonFormError(`${this.where}.${key}`, 'not a string');
		return v;
	}
}

export function bytesFromJson(v: unknown, where: string): Buffer {
	if (typeof v === 'string') {
		if (!PRINTABLE.test(v))
			throw new JsonFormError(where, 'a plain string must be printable ASCII; use {"base64": …}');
		return Buffer.from(v, 'latin1');
	}
	const f = new Fields(v, where);
	const b64 = f.string('base64');
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
		throw new JsonFormError(`${where}.base64`, 'not base64');
	return Buffer.from(b64, 'base64');
}

const PERM = /^([nrwb])(\d{1,5})(:stale)?$/;

function permFromJson(v: unknown, where: string): NodePerm {
	const m = typeof v === 'string' ? PERM.exec(v) : null;
	if (!m || Number(m[2]) > 0xffff)
		throw new JsonFormError(where, `${JSON.stringify(v)} is not a perm such as "r5" or "r5:stale"`);
	return { access: m[1] as PermLetter, domid: Number(m[2]), stale: m[3] !== undefined };
}

function quotasFromJson(list: unknown[], where: string): QuotaValue[] {
	return list.map((q, i) => {
		const f = new Fields(q, `${where}[${i}]`);
		return { name: f.text('name'), value: f.int('value', 0, 0xffffffff) };
	});
}

const U32 = 0xffffffff;
const I32: [number, number] = [-0x80000000, 0x7fffffff];

function specFromJson(f: Fields): ConnectionSpec {
	const kind = f.string('kind');
	if (kind === 'socket') return { kind, fd: f.int('fd', ...I32) };
	if (kind !== 'ring')
		throw new JsonFormError(`${f.where}.kind`, `${JSON.stringify(kind)} is neither "ring" nor "socket"`);
	const spec = {
		kind: 'ring' as const,
		domid: f.int('domid', 0, 0xffff),
		target: f.int('target', 0, 0xffff),
		evtchn: f.int('evtchn', 0, U32),
	};
	return {
		...spec,
		...(f.has('mfn') ? { mfn: f.bigint('mfn') } : {}),
		...(f.has('remotePort') ? { remotePort: f.int('remotePort', 0, U32) } : {}),
	};
}

export function recordFromJson(value: unknown, where: string): MigrationRecord {
	const f = new Fields(value, where);
	const type = f.string('type');
	switch (type) {
		case 'END':
			return { type };
		case 'GLOBAL_DATA':
			return {
				type,
				socketFd: f.int('socketFd', ...I32),
				evtchnFd: f.int('evtchnFd', ...I32),
				...(f.has('domexcPort') ? { domexcPort: f.int('domexcPort', 0, U32) } : {}),
			};
		case 'CONNECTION_DATA':
			return {
				type,
				connId: f.int('connId', 0, U32),
				spec: specFromJson(new Fields(f.raw('spec'), `${where}.spec`)),
				pendingIn: f.bytes('pendingIn'),
				pendingOut: f.bytes('pendingOut'),
				partialResponseLength: f.int('partialResponseLength', 0, 0xffff),
				...(f.has('uniqueId') ? { uniqueId: f.bigint('uniqueId') } : {}),
			};
		case 'WATCH_DATA':
			return { type, connId: f.int('connId', 0, U32), path: f.text('path'), token: f.text('token') };
		case 'WATCH_DATA_EXTENDED':
			return {
				type,
				connId: f.int('connId', 0, U32),
				path: f.text('path'),
				token: f.text('token'),
				depth: f.int('depth', 0, 0xffff),
			};
		case 'TRANSACTION_DATA':
			return { type, connId: f.int('connId', 0, U32), txId: f.int('txId', 0, U32) };
		case 'NODE_DATA': {
			const inTx = f.has('connId');
			return {
				type,
				connId: inTx ? f.int('connId', 0, U32) : 0,
				txId: inTx ? f.int('txId', 0, U32) : 0,
				access: inTx ? f.int('access', 0, 0xffff) : 0,
				perms: f.array('perms').map((p, i) => permFromJson(p, `${where}.perms[${i}]`)),
				path: f.text('path'),
				value: f.bytes('value'),
			};
		}
		case 'GLOBAL_QUOTA_DATA':
			return {
				type,
				perDomain: quotasFromJson(f.array('perDomain'), `${where}.perDomain`),
				globalOnly: quotasFromJson(f.array('globalOnly'), `${where}.globalOnly`),
			};
		case 'DOMAIN_DATA':
			return {
				type,
				domid: f.int('domid', 0, 0xffff),
				features: f.int('features', 0, U32),
				quotas: quotasFromJson(f.array('quotas'), `${where}.quotas`),
			};
		default:
			throw new JsonFormError(
				`${where}.type`,
				`${JSON.stringify(type)} is not one of ${Object.keys(RecordType).join(', ')}`,
			);
	}
}

/** Parse the JSON form: its header and records (checked for shape here; for stream rules by the writer). */
export function parseJsonForm(text: string): { header: JsonStreamHeader; records: MigrationRecord[] } {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (e) {
		throw new JsonFormError('$', `not JSON: ${(e as Error).message}`);
	}
	const f = new Fields(value, '$');
	if (f.int('xenstoreMigrationStream', 0, 1000) !== JSON_FORM_VERSION) {
		throw new JsonFormError('$.xenstoreMigrationStream', `only form ${JSON_FORM_VERSION} is known`);
	}
	const source = f.has('source') ? f.string('source') : 'stream';
	if (source !== 'stream' && source !== 'oxenstored-dump')
		throw new JsonFormError('$.source', `unknown source ${JSON.stringify(source)}`);
	const version = f.int('version', 1, 2) as StreamVersion;
	const endian = f.string('endian');
	if (endian !== 'little' && endian !== 'big')
		throw new JsonFormError('$.endian', 'neither "little" nor "big"');
	const records = f.array('records').map((r, i) => recordFromJson(r, `$.records[${i}]`));
	return { header: { source, version, endian }, records };
}
